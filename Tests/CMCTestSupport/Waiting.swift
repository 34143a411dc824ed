import Foundation
import XCTest

/// Waits for `condition` with a deadline instead of sleeping a fixed time: returns as soon as it holds,
/// fails the test naming `what` when the deadline passes first.
public func eventually(
    timeout: Double = 5, _ what: String = "condition", file: StaticString = #filePath,
    line: UInt = #line, _ condition: () throws -> Bool
) rethrows {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return }
        Thread.sleep(forTimeInterval: 0.01)
    }
    XCTFail("timed out waiting for \(what)", file: file, line: line)
}

/// Asserts that `condition` keeps holding for `seconds`: for what must *not* happen (a message that must
/// never arrive), where no event marks the moment to check. The one deliberate wait of the suite.
public func holdsThroughout(
    _ seconds: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line,
    _ condition: () throws -> Bool
) rethrows {
    let deadline = Date().addingTimeInterval(seconds)
    repeat {
        guard try condition() else {
            XCTFail("\(what) stopped holding", file: file, line: line)
            return
        }
        Thread.sleep(forTimeInterval: 0.01)
    } while Date() < deadline
}
