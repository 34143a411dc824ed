import CMCSafeTensors
import CMCModel
import CMCTensor
import CMCTraining
import Foundation
import XCTest
import CMCStream

/// Minimal reproducers of the bugs the fuzzers found (docs/fuzzing.md lists them). The inputs are
/// also committed as Corpus/<target>/crash-* files, which FuzzTests replays.
final class FuzzRegressionTests: XCTestCase {
    /// A safetensors file with a hand-written header and `data` as its data section.
    func safetensors(_ header: String, data: [UInt8] = []) -> Data {
        var json = Array(header.utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        return Data(withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init) + json + data)
    }

    /// Found by fuzz-safetensors: the element count was a wrapping product, so [2^30, 2^30, 16]
    /// (2^64 elements) counted as 0, matched empty data offsets, and trapped in `Tensor.init`;
    /// [2^30, 2^30, 8] counted as Int.min and trapped allocating a negative-sized array.
    func testSafeTensorsShapeWhoseElementCountOverflowsIsRejected() {
        for shape in ["[1073741824,1073741824,16]", "[1073741824,1073741824,8]", "[2147483647,2147483647,2147483647]"] {
            let file = safetensors(#"{"t":{"dtype":"F32","shape":\#(shape),"data_offsets":[0,0]}}"#)
            XCTAssertThrowsError(try SafeTensors.decode(file, source: "overflow")) { error in
                XCTAssert("\(error)".contains("too large"), "\(error)")
            }
        }
    }

    /// Found by fuzz-safetensors (its round-trip oracle): an empty tensor sharing its start offset
    /// with a non-empty one — which `SafeTensors.encode` itself writes — was accepted or refused as
    /// "overlaps another tensor" depending on dictionary order, i.e. at random per process.
    func testEmptyTensorSharingAnOffsetIsAlwaysAccepted() throws {
        // Many names give many hash orders, so the old behaviour fails here with near certainty.
        for i in 0..<64 {
            let file = SafeTensors.File(tensors: [
                "a": Tensor(shape: [1], storage: [1]), "e\(i)": Tensor(shape: [0, 3], storage: []),
            ])
            let back = try SafeTensors.decode(SafeTensors.encode(file), source: "empty-\(i)")
            XCTAssertEqual(back.tensors, file.tensors)
        }
        let reversed = safetensors(
            #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"e":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}"#,
            data: [0, 0, 0x80, 0x3F])
        XCTAssertEqual(try SafeTensors.decode(reversed).tensors["a"]?.storage, [1])
    }
}

/// Findings fixed after the first fuzzing runs (docs/fuzzing.md): bundles whose metadata describes
/// impossible or enormous networks (they trapped in the loader), and a configuration null lost on save.
final class FuzzFixedFindingsTests: XCTestCase {
    func testBundleArchitectureCrashersAreRejected() throws {
        let corpus = try FuzzHarness.corpus("open/bundle")
        XCTAssertFalse(corpus.isEmpty)
        for (name, bytes) in corpus {
            XCTAssertNil(BundleTarget.run(bytes), name)
            let file = try SafeTensors.decode(Data(bytes))
            let meta = try JSONDecoder().decode(BundleMetadata.self, from: Data(file.metadata["cmc.bundle"]!.utf8))
            XCTAssertFalse(meta.problems().isEmpty, "\(name) must be refused by its metadata checks")
        }
    }

    /// Found by the test-suite pass (the JSON-number mutation put a `null` there): the configuration
    /// cmc-train writes to runs/…/config.json (and into bundles) drops an explicit null, so re-running
    /// from it silently turns the classifier's plateau scheduler back on.
    func testExplicitNullPlateauPatienceSurvivesJSONRoundTrip() throws {
        let json = #"{"dataset": "utd-mhad", "classifier": {"plateauPatience": null}}"#
        let config = try ExperimentConfig.decode(Data(json.utf8), source: "null-patience")
        XCTAssertNil(config.classifier.plateauPatience)
        let again = try ExperimentConfig.decode(Data(config.jsonString().utf8), source: "written")
        XCTAssertNil(again.classifier.plateauPatience, "jsonString() lost the explicit null")
    }
}

/// Findings of the stateful and text targets added for issue 10 (assembler, http, allowlist); each input
/// is also committed as Corpus/<target>/crash-*.
final class FuzzStreamFindingsTests: XCTestCase {
    static let keyA = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7", keyB = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"

    /// Found by fuzz-http: a request ending in LF LF counted as complete only while nothing followed it,
    /// and a complete head followed by more than 8 KiB was refused as too large, so the answer depended
    /// on how TCP split the bytes.
    func testMetricsRequestIsDecidedByItsHeadAlone() {
        XCTAssertEqual(MetricsRequest.parse(Array("GET /metrics\n\nX".utf8)), .metrics)
        XCTAssertEqual(MetricsRequest.parse(Array("GET /metrics\n\n".utf8)), .metrics)
        let head = Array("GET /metrics HTTP/1.0\r\n\r\n".utf8)
        XCTAssertEqual(MetricsRequest.parse(head + [UInt8](repeating: 0x61, count: 9000)), .metrics)
        XCTAssertEqual(MetricsRequest.parse([UInt8](repeating: 0x61, count: MetricsRequest.maxBytes + 1)), .tooLarge)
        XCTAssertEqual(MetricsRequest.parse(Array("GET /metrics HTTP/1.0\r\n".utf8)), .incomplete)
    }

    /// Found by fuzz-allowlist: Swift reads "\r\n" as one character, so a file saved with CRLF line
    /// endings was one line: the first key got a name holding the rest of the file, the others nothing.
    func testAllowListWithCRLFLineEndingsListsEveryKey() throws {
        let list = try CurveAllowList.parse("\(Self.keyA) wrist-7\r\n\(Self.keyB) kinect-2\r\n", source: "crlf")
        XCTAssertEqual(list.count, 2)
        XCTAssertEqual(list.name(of: CurvePublicKey(z85: Self.keyA)!), "wrist-7")
        XCTAssertEqual(list.name(of: CurvePublicKey(z85: Self.keyB)!), "kinect-2")
    }

    /// Found by fuzz-allowlist: a second line for the same key replaced the first, and with it the
    /// first line's subject restriction (the key could then publish for every subject).
    func testAllowListRefusesAKeyListedTwice() {
        let text = "\(Self.keyA) wrist-7 subjects=7\n\(Self.keyA) other\n"
        XCTAssertThrowsError(try CurveAllowList.parse(text, source: "twice")) { error in
            XCTAssert("\(error)".contains("line 2: the key is listed twice"), "\(error)")
        }
        XCTAssertThrowsError(try CurveAllowList.parse("\(Self.keyA) w subjects=1 subjects=2\n", source: "s"))
    }

    /// Found by fuzz-allowlist: a bad `subjects=` value was quoted in the error (and so in the log),
    /// though the allow-list promises never to echo its lines — a key pasted there would have leaked.
    func testAllowListErrorDoesNotQuoteASubjectsValue() {
        let line = "\(Self.keyA) wrist subjects=1\(Self.keyB)\n"
        XCTAssertThrowsError(try CurveAllowList.parse(line, source: "f")) { error in
            XCTAssert("\(error)".contains("line 1: subjects= must list subject ids"), "\(error)")
            XCTAssertFalse("\(error)".contains(Self.keyB), "\(error)")
        }
    }

    /// Found by fuzz-allowlist: names (written into log lines) could carry control characters.
    func testAllowListRefusesControlCharactersInNames() {
        XCTAssertThrowsError(try CurveAllowList.parse("\(Self.keyA) evil\u{1B}[2Jname\n", source: "esc")) { error in
            XCTAssert("\(error)".contains("control characters"), "\(error)")
        }
        // Any white space (here a tab and an em space) separates the fields a name is made of.
        let list = try? CurveAllowList.parse("\(Self.keyA)\tnamed\u{2003}in  parts\n", source: "spaces")
        XCTAssertEqual(list?.name(of: CurvePublicKey(z85: Self.keyA)!), "named in parts")
    }
}
