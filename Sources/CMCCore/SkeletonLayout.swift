/// The skeleton layouts cmc understands and how each maps onto the model's: Kinect v1 (UTD-MHAD,
/// 20 joints, y up). A frame with another layout's joint count (Azure Kinect / Orbbec 32, MediaPipe
/// Pose 33, OpenNI/NiTE 15) is retargeted to Kinect v1 joint by joint (docs/protocol.md §5.4):
/// a joint both layouts have is copied, one the source lacks is built from its neighbours (a mean, or
/// a point along a limb), and the axes are turned into Kinect v1's (x to the sensor's left, y up,
/// z away from the sensor). One definition for the daemon, the replay harness that measures what it
/// costs, and (mirrored) the Python client.
public enum SkeletonLayout: String, Sendable, CaseIterable {
    case kinectV1 = "kinect-v1"
    case azureKinect = "azure-kinect"
    case mediaPipe = "mediapipe-pose"
    case openNI = "openni"

    /// How one joint of a layout is obtained from the joints of another.
    public enum Rule: Sendable, Equatable {
        case joint(Int)
        /// The mean of these joints.
        case mean([Int])
        /// `from + t × (to − from)`: a point along a limb.
        case along(from: Int, to: Int, t: Float)
    }

    /// The layout whose joint count this is, if cmc knows one.
    public init?(jointCount: Int) {
        guard let layout = Self.allCases.first(where: { $0.jointNames.count == jointCount }) else { return nil }
        self = layout
    }

    public var jointNames: [String] {
        switch self {
        case .kinectV1:
            [
                "head", "shoulder_center", "spine", "hip_center", "l_shoulder", "l_elbow", "l_wrist", "l_hand",
                "r_shoulder", "r_elbow",
                "r_wrist", "r_hand", "l_hip", "l_knee", "l_ankle", "l_foot", "r_hip", "r_knee", "r_ankle", "r_foot",
            ]
        case .azureKinect:
            [
                "pelvis", "spine_navel", "spine_chest", "neck", "clavicle_left", "shoulder_left", "elbow_left",
                "wrist_left", "hand_left",
                "handtip_left", "thumb_left", "clavicle_right", "shoulder_right", "elbow_right", "wrist_right",
                "hand_right",
                "handtip_right", "thumb_right", "hip_left", "knee_left", "ankle_left", "foot_left", "hip_right",
                "knee_right",
                "ankle_right", "foot_right", "head", "nose", "eye_left", "ear_left", "eye_right", "ear_right",
            ]
        case .mediaPipe:
            [
                "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
                "right_eye_outer", "left_ear",
                "right_ear", "mouth_left", "mouth_right", "left_shoulder", "right_shoulder", "left_elbow",
                "right_elbow", "left_wrist",
                "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb",
                "left_hip",
                "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel",
                "left_foot_index",
                "right_foot_index",
            ]
        case .openNI:
            // NiTE 2's joint order.
            [
                "head", "neck", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_hand",
                "right_hand", "torso",
                "left_hip", "right_hip", "left_knee", "right_knee", "left_foot", "right_foot",
            ]
        }
    }

    /// Per Kinect v1 joint (in `kinectV1.jointNames` order), how it is made from this layout's joints.
    public var toKinectV1: [Rule] {
        switch self {
        case .kinectV1:
            return (0..<20).map(Rule.joint)
        case .azureKinect:
            return [
                .joint(26), .joint(3), .joint(1), .joint(0), .joint(5), .joint(6), .joint(7), .joint(8), .joint(12),
                .joint(13),
                .joint(14), .joint(15), .joint(18), .joint(19), .joint(20), .joint(21), .joint(22), .joint(23),
                .joint(24), .joint(25),
            ]
        case .mediaPipe:
            // No spine, hip or shoulder centre, head centre or hand centre: means of the joints around them.
            return [
                .mean([7, 8]), .mean([11, 12]), .mean([11, 12, 23, 24]), .mean([23, 24]), .joint(11), .joint(13),
                .joint(15),
                .mean([17, 19]), .joint(12), .joint(14), .joint(16), .mean([18, 20]), .joint(23), .joint(25),
                .joint(27), .joint(31),
                .joint(24), .joint(26), .joint(28), .joint(32),
            ]
        case .openNI:
            // No wrists or ankles: 85 % of the way down the forearm and the shin.
            return [
                .joint(0), .joint(1), .joint(8), .mean([9, 10]), .joint(2), .joint(4), .along(from: 4, to: 6, t: 0.85),
                .joint(6),
                .joint(3), .joint(5), .along(from: 5, to: 7, t: 0.85), .joint(7), .joint(9), .joint(11),
                .along(from: 11, to: 13, t: 0.85),
                .joint(13), .joint(10), .joint(12), .along(from: 12, to: 14, t: 0.85), .joint(14),
            ]
        }
    }

    /// Per joint of this layout, how it is made from Kinect v1 joints: the inverse direction, used to
    /// measure what retargeting costs (a joint Kinect v1 lacks takes its nearest Kinect v1 joint).
    public var fromKinectV1: [Rule] {
        switch self {
        case .kinectV1:
            return (0..<20).map(Rule.joint)
        case .azureKinect:
            return [
                .joint(3), .joint(2), .mean([1, 2]), .joint(1), .mean([1, 4]), .joint(4), .joint(5), .joint(6),
                .joint(7), .joint(7),
                .joint(7), .mean([1, 8]), .joint(8), .joint(9), .joint(10), .joint(11), .joint(11), .joint(11),
                .joint(12), .joint(13),
                .joint(14), .joint(15), .joint(16), .joint(17), .joint(18), .joint(19), .joint(0), .joint(0), .joint(0),
                .joint(0),
                .joint(0), .joint(0),
            ]
        case .mediaPipe:
            return [
                .joint(0), .joint(0), .joint(0), .joint(0), .joint(0), .joint(0), .joint(0), .joint(0), .joint(0),
                .joint(0),
                .joint(0), .joint(4), .joint(8), .joint(5), .joint(9), .joint(6), .joint(10), .joint(7), .joint(11),
                .joint(7),
                .joint(11), .joint(7), .joint(11), .joint(12), .joint(16), .joint(13), .joint(17), .joint(14),
                .joint(18), .joint(15),
                .joint(19), .joint(15), .joint(19),
            ]
        case .openNI:
            return [
                .joint(0), .joint(1), .joint(4), .joint(8), .joint(5), .joint(9), .joint(7), .joint(11), .joint(2),
                .joint(12),
                .joint(16), .joint(13), .joint(17), .joint(15), .joint(19),
            ]
        }
    }

    /// Sign of each axis from this layout's frame to Kinect v1's. Azure Kinect and MediaPipe world
    /// landmarks have x to the right and y down as seen by the camera: a half turn about z.
    public var axesToKinectV1: [Float] {
        switch self {
        case .kinectV1, .openNI: [1, 1, 1]
        case .azureKinect, .mediaPipe: [-1, -1, 1]
        }
    }

    /// Applies `rules` to samples laid out joint-major (`coordinates` values per joint, `from` joints per
    /// sample), multiplying each coordinate by `axes`; returns samples of `rules.count` joints.
    public static func apply(_ rules: [Rule], to values: [Float], joints from: Int, coordinates: Int, axes: [Float])
        -> [Float]
    {
        let stride = from * coordinates
        let samples = stride == 0 ? 0 : values.count / stride
        var out = [Float](repeating: 0, count: samples * rules.count * coordinates)
        for s in 0..<samples {
            let base = s * stride
            let target = s * rules.count * coordinates
            for (j, rule) in rules.enumerated() {
                for c in 0..<coordinates {
                    let v: Float
                    switch rule {
                    case .joint(let i): v = values[base + i * coordinates + c]
                    case .mean(let js): v = js.reduce(0) { $0 + values[base + $1 * coordinates + c] } / Float(js.count)
                    case .along(let a, let b, let t):
                        let va = values[base + a * coordinates + c]
                        v = va + t * (values[base + b * coordinates + c] - va)
                    }
                    out[target + j * coordinates + c] = v * (c < axes.count ? axes[c] : 1)
                }
            }
        }
        return out
    }

    /// Samples of this layout as Kinect v1 samples (x, y, z per joint).
    public func retargetToKinectV1(_ values: [Float]) -> [Float] {
        Self.apply(toKinectV1, to: values, joints: jointNames.count, coordinates: 3, axes: axesToKinectV1)
    }

    /// Kinect v1 samples as this layout's (for measuring the round trip).
    public func fromKinectV1Samples(_ values: [Float]) -> [Float] {
        // the half turn is its own inverse
        Self.apply(fromKinectV1, to: values, joints: 20, coordinates: 3, axes: axesToKinectV1)
    }
}
