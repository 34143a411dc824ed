import CMCCore
import Logging

/// Where training reports what it skipped, resumed or stopped early (progress bars go to stderr apart).
/// Public so that the training front ends (stream heads) report under the same label.
public let trainingLog = CMCLogging.logger("training")
