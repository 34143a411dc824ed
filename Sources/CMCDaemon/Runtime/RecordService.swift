import Logging
import CMCCore
import CMCStream
import Foundation

/// `cmc-record`: records frames and/or labels into a `.cmcrec` file until SIGINT/SIGTERM, a duration
/// or a message count, then fsyncs and closes it. Messages are written as they arrive, so a crash (even
/// SIGKILL) loses at most the one being written.
public enum RecordService {
    /// Returns the exit status. Call `ProcessSignals.block()` first.
    public static func run(
        config: RecorderConfig, seconds: Double?, count: Int?, logger: Logger,
        progress: ((Int) -> Void)? = nil
    ) -> Int32 {
        let recorder: StreamRecorder
        do {
            recorder = try StreamRecorder(config: config, logger: logger)
            let bound = try recorder.start()
            logger.info(
                "recording", metadata: .fields(["file": config.path, "endpoints": bound.joined(separator: ",")]))
        } catch {
            logger.error("cannot record: \(error)")
            return 1
        }
        let deadline = seconds.map { MonotonicClock.now() + Int64($0 * 1e9) }
        var lastProgress = MonotonicClock.now()
        while true {
            if let signal = ProcessSignals.wait(ProcessSignals.shutdown, timeout: 0.1) {
                logger.notice("stopping", metadata: .fields(["signal": ProcessSignals.name(signal)]))
                break
            }
            if let deadline, MonotonicClock.now() >= deadline { break }
            if let count, recorder.recordsWritten >= count { break }
            if recorder.error != nil { break }
            if let progress, MonotonicClock.now() - lastProgress > 1_000_000_000 {
                progress(recorder.recordsWritten)
                lastProgress = MonotonicClock.now()
            }
        }
        let written = recorder.stop()
        if let error = recorder.error {
            logger.error(
                "recording failed", metadata: .fields(["file": config.path, "messages": "\(written)", "error": error]))
            return 1
        }
        logger.info("recorded", metadata: .fields(["file": config.path, "messages": "\(written)"]))
        return 0
    }
}
