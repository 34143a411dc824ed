import Logging
import CMCCore
import Foundation

/// What `cmc-record` subscribes to and where it writes.
public struct RecorderConfig: Sendable {
    public var imuEndpoints: [Endpoint] = []
    public var skeletonEndpoints: [Endpoint] = []
    public var labelEndpoints: [Endpoint] = []
    public var path: String
    public var receiveHighWaterMark: Int32 = 100_000
    /// CURVE client settings (server key and own key pair); nil: plain text.
    public var curve: CurveClient?

    public init(path: String) { self.path = path }
}

/// Subscribes to frames and/or labels and appends every message to a `.cmcrec` file, on its own
/// thread (which owns the sockets and the writer). Every message is written as it arrives (a crash loses
/// at most the one being written); `stop()` fsyncs and closes.
public final class StreamRecorder: Sendable {
    private let config: RecorderConfig
    private let context: ZMQContext
    private let logger: Logger
    private let stopRequested = Locked(false)
    private let finished = DispatchSemaphore(value: 0)
    private let written = Locked(0)
    private let failure = Locked<String?>(nil)

    public init(config: RecorderConfig, logger: Logger = CMCLogging.logger("stream"), context: ZMQContext? = nil) throws
    {
        self.config = config
        self.logger = logger
        self.context = try context ?? ZMQContext()
    }

    /// Messages written so far.
    public var recordsWritten: Int { written.current }
    /// Why recording ended early (a write error), if it did.
    public var error: String? { failure.current }

    /// Opens the file and the sockets, then records until `stop()`. Returns the bound endpoints.
    @discardableResult
    public func start() throws -> [String] {
        let setup = Locked<Result<[String], any Error>?>(nil)
        let ready = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            defer { finished.signal() }
            let writer: RecordWriter
            var inputs: [(ZMQSocket, RecordedMessage.Channel)] = []
            var bound: [String] = []
            do {
                writer = try RecordWriter(path: config.path)
                for (endpoints, channel, prefixes) in [
                    (config.imuEndpoints, RecordedMessage.Channel.imu, ["imu/"]),
                    (config.skeletonEndpoints, .skeleton, ["skel/"]),
                    (config.labelEndpoints, .labels, [Topic.allLabels, Topic.allActions]),
                ]
                where !endpoints.isEmpty {
                    let socket = try ZMQSocket(context: context, type: .sub)
                    try socket.setHighWaterMarks(receive: config.receiveHighWaterMark)
                    try socket.limitInboundMessages(toBytes: FrameCodec.maxInboundPartBytes)
                    for prefix in prefixes { try socket.subscribe(prefix) }
                    bound += try socket.attach(endpoints, curve: config.curve)
                    inputs.append((socket, channel))
                }
            } catch {
                setup.withLock { $0 = .failure(error) }
                ready.signal()
                return
            }
            setup.withLock { $0 = .success(bound) }
            ready.signal()
            record(inputs, writer)
        }
        thread.name = "cmc-record"
        thread.start()
        ready.wait()
        switch setup.current! {
        case .failure(let error):
            finished.wait()
            throw error
        case .success(let bound): return bound
        }
    }

    /// Stops recording, fsyncing and closing the file; returns the number of messages written.
    @discardableResult
    public func stop() -> Int {
        let first = stopRequested.withLock { s in
            defer { s = true }
            return !s
        }
        if first { finished.wait() }
        return written.current
    }

    private func record(_ inputs: [(ZMQSocket, RecordedMessage.Channel)], _ writer: RecordWriter) {
        defer {
            do { try writer.close() } catch { failure.withLock { $0 = "\(error)" } }
            for (socket, _) in inputs { socket.close() }
        }
        do {
            while !stopRequested.current {
                // Short poll so stop() is noticed promptly without a control socket.
                let ready = try ZMQPoll.readable(inputs.map(\.0), timeoutMilliseconds: 50)
                for (i, (socket, channel)) in inputs.enumerated() where ready[i] {
                    while let parts = try socket.receive(dontWait: true) {
                        try writer.append(
                            RecordedMessage(
                                monotonicNanoseconds: MonotonicClock.now(), unixNanoseconds: MonotonicClock.unixNow(),
                                channel: channel, parts: parts))
                        written.withLock { $0 += 1 }
                    }
                }
            }
        } catch {
            failure.withLock { $0 = "\(error)" }
            logger.error("recording stopped: \(error)")
        }
    }
}
