"""Skeleton retargeting to the default model's layout (Kinect v1, 20 joints, y up) — the Python mirror of
cmc's `SkeletonLayout` (Sources/CMCCore/SkeletonLayout.swift; docs/protocol.md §5.4).

cmcd retargets by itself: a skeleton frame with 32 (Azure Kinect / Orbbec), 33 (MediaPipe Pose) or 15
(OpenNI/NiTE) joints is turned into Kinect v1 on arrival. Use this module to look at what the model will
see, or to retarget before sending (then send 20 joints).

    from cmc_client.skeletons import retarget_to_kinect_v1
    frame_v1 = retarget_to_kinect_v1("mediapipe-pose", landmarks)   # [x, y, z] * 33 → [x, y, z] * 20
"""

KINECT_V1 = ["head", "shoulder_center", "spine", "hip_center", "l_shoulder", "l_elbow", "l_wrist", "l_hand", "r_shoulder",
             "r_elbow", "r_wrist", "r_hand", "l_hip", "l_knee", "l_ankle", "l_foot", "r_hip", "r_knee", "r_ankle", "r_foot"]


def _j(i):
    return ("joint", [i], 0.0)


def _mean(*js):
    return ("mean", list(js), 0.0)


def _along(a, b, t):
    return ("along", [a, b], t)


#: Per layout: joint count, per Kinect v1 joint the rule building it, and the axis signs to Kinect v1.
LAYOUTS = {
    "kinect-v1": (20, [_j(i) for i in range(20)], (1, 1, 1)),
    "azure-kinect": (32, [_j(26), _j(3), _j(1), _j(0), _j(5), _j(6), _j(7), _j(8), _j(12), _j(13), _j(14), _j(15), _j(18), _j(19),
                          _j(20), _j(21), _j(22), _j(23), _j(24), _j(25)], (-1, -1, 1)),
    "mediapipe-pose": (33, [_mean(7, 8), _mean(11, 12), _mean(11, 12, 23, 24), _mean(23, 24), _j(11), _j(13), _j(15),
                            _mean(17, 19), _j(12), _j(14), _j(16), _mean(18, 20), _j(23), _j(25), _j(27), _j(31), _j(24), _j(26),
                            _j(28), _j(32)], (-1, -1, 1)),
    "openni": (15, [_j(0), _j(1), _j(8), _mean(9, 10), _j(2), _j(4), _along(4, 6, 0.85), _j(6), _j(3), _j(5), _along(5, 7, 0.85),
                    _j(7), _j(9), _j(11), _along(11, 13, 0.85), _j(13), _j(10), _j(12), _along(12, 14, 0.85), _j(14)], (1, 1, 1)),
}


def layout_for_joint_count(joints):
    """The layout name with this many joints, or None."""
    for name, (count, _, _) in LAYOUTS.items():
        if count == joints:
            return name
    return None


def retarget_to_kinect_v1(layout, sample):
    """One sample of `layout` (flat joint-major [x, y, z, x, y, z, …]) as a flat Kinect v1 sample."""
    count, rules, axes = LAYOUTS[layout]
    if len(sample) != 3 * count:
        raise ValueError("%s has %d joints: expected %d values, got %d" % (layout, count, 3 * count, len(sample)))
    out = []
    for kind, joints, t in rules:
        for c in range(3):
            if kind == "joint":
                v = sample[3 * joints[0] + c]
            elif kind == "mean":
                v = sum(sample[3 * j + c] for j in joints) / len(joints)
            else:
                a, b = sample[3 * joints[0] + c], sample[3 * joints[1] + c]
                v = a + t * (b - a)
            out.append(v * axes[c])
    return out
