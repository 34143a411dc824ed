import CMCTensor
@testable import CMCTraining
import XCTest

final class MetricsAndRetrievalTests: XCTestCase {
    func testMetricsByHand() {
        // targets 0 0 1 1 2 2, predictions 0 1 1 1 2 0
        let m = ClassificationMetrics(predictions: [0, 1, 1, 1, 2, 0], targets: [0, 0, 1, 1, 2, 2], classCount: 4)
        XCTAssertEqual(m.accuracy, 4.0 / 6, accuracy: 1e-12)
        // class 0: tp1 fp1 fn1 → P .5 R .5 F .5; class 1: tp2 fp1 fn0 → P 2/3 R 1 F .8; class 2: tp1 fp0 fn1 → P 1 R .5
        // F 2/3
        XCTAssertEqual(m.macro_f1, (0.5 + 0.8 + 2.0 / 3) / 3, accuracy: 1e-12)
        XCTAssertEqual(m.macro_precision, (0.5 + 2.0 / 3 + 1) / 3, accuracy: 1e-12)
        XCTAssertEqual(m.macro_recall, (0.5 + 1 + 0.5) / 3, accuracy: 1e-12)
        XCTAssertEqual(m.confusion[2], [1, 0, 1, 0]) // class 3 never occurs: excluded from the macro average
        XCTAssert(m.confusionCSV(classNames: ["a", "b", "c", "d"]).hasPrefix("true\\predicted,a,b,c,d\na,1,1,0,0\n"))
        let svg = ConfusionMatrixPlot.svg(m, classNames: ["a", "b", "c", "d"], title: "t <&>")
        XCTAssert(svg.contains("t &lt;&amp;&gt;") && svg.hasSuffix("</svg>\n"))
    }

    func testRetrievalByHand() {
        // Gallery: two clips of class 0 near (1,0), one of class 1 near (0,1).
        let gallery = Tensor(shape: [3, 2], storage: [1, 0.1, 0.9, 0, 0, 1])
        let query = Tensor(shape: [2, 2], storage: [1, 0, 0.1, 1])
        let r = RetrievalResult(
            query: query, queryLabels: [0, 0], gallery: gallery, galleryLabels: [0, 0, 1], ks: [1, 2])
        // Query 1 ranks [g1, g0, g2] (all class-0 first): AP 1. Query 2 (class 0 but near class 1) ranks
        // [g2, g0, g1]: hits at ranks 2 and 3 → AP (1/2 + 2/3) / 2.
        XCTAssertEqual(r.precisionAtK["P@1"]!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(r.precisionAtK["P@2"]!, (1 + 0.5) / 2, accuracy: 1e-12)
        XCTAssertEqual(r.mAP, (1 + (0.5 + 2.0 / 3) / 2) / 2, accuracy: 1e-12)
    }
}
