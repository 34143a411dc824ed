@testable import CMCData

/// The SmartFallMM CSV parser (`CSVRows.parse`): timestamped IMU rows and plain numeric rows.
enum CSVTarget: FuzzTarget {
    static let name = "csv"

    static func run(_ bytes: [UInt8]) -> String? {
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
        for (columns, timestamped) in [(3, true), (4, false), (1, false)] {
            let rows = CSVRows.parse(bytes: bytes + [0], columns: columns, timestamped: timestamped)
            guard rows.values.count == rows.rowCount * columns else {
                return "\(rows.values.count) values for \(rows.rowCount) rows"
            }
            guard rows.timestamps.count == (timestamped ? rows.rowCount : 0) else {
                return "\(rows.timestamps.count) timestamps"
            }
            guard rows.values.allSatisfy(\.isFinite), rows.timestamps.allSatisfy(\.isFinite) else {
                return "non-finite value kept"
            }
            guard rows.rowCount + rows.junk.count <= lines else { return "more rows than lines" }
        }
        return nil
    }

    static func seeds() -> [[UInt8]] {
        [
            Array("2024-01-02 03:04:05.678,0.1,-2.5,9.81\n2024-01-02 03:04:05.7,1e-3,2,3\r\n".utf8),
            Array("timestamp,x,y,z\n2023-12-31T23:59:59,1,2,3\nbad,row\n\n".utf8),
            Array("1,2,3,4\n5,6,7,8\n0.0158.1,Unnamed: 3,,\n-1.5e10,2,3,4".utf8),
            Array("42\n-0\n".utf8),
        ]
    }
}
