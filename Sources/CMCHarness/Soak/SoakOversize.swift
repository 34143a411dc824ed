import CMCCore
import CMCStream
import CZeroMQ
import Foundation

/// The soak's oversize attacker: now and then a fresh publisher joins cmcd's IMU or skeleton socket and
/// sends one message part larger than cmcd's `ZMQ_MAXMSGSIZE`. libzmq must drop the peer as soon as it
/// reads the size, before allocating: the soak's memory verdict shows cmcd's RSS did not move.
///
/// The publisher is an XPUB socket in verbose mode, so it sees every subscription cmcd's SUB sends: the
/// first says the connection (and the CURVE handshake) is up; a second one after the message went out
/// is cmcd subscribing again on a new connection — proof that the first was cut.
final class SoakOversize {
    private let options: SoakOptions
    private let targets: [(endpoint: String, topic: String)]
    private let curve: CurveClient?
    private let context: ZMQContext
    private(set) var counts = SoakAttacks.Oversize()

    init(options: SoakOptions, endpoints: [Modality: String], curve: CurveClient?, context: ZMQContext) {
        self.options = options
        targets = Modality.allCases.compactMap { m in
            endpoints[m].map { (endpoint: $0, topic: Topic.frame(m, subject: 1)) }
        }
        self.curve = curve
        self.context = context
        counts.messageBytes = options.oversizeBytes
    }

    func run(start: Int64, end: Int64, shouldStop: () -> Bool) throws {
        guard options.oversizeEverySeconds > 0, !targets.isEmpty else { return }
        let every = Int64(options.oversizeEverySeconds * 1e9)
        var next = start + 2_000_000_000
        var turn = 0
        while !shouldStop() && MonotonicClock.now() < end {
            if MonotonicClock.now() >= next {
                try attack(targets[turn % targets.count])
                turn += 1
                next += every
            }
            ReplaySender.sleep(seconds: 0.05)
        }
    }

    private func attack(_ target: (endpoint: String, topic: String)) throws {
        let socket = try ZMQSocket(context: context, type: .xpub)
        defer { socket.close() }
        try socket.setOption(ZMQ_XPUB_VERBOSE, 1, name: "xpub_verbose")
        try socket.attach([.connect(target.endpoint)], curve: curve)
        guard try subscribed(socket, within: 5) else {
            counts.notJoined += 1
            return
        }
        let part = [UInt8](repeating: 0x5A, count: options.oversizeBytes)
        guard try socket.send([Array(target.topic.utf8), part], dontWait: true) else {
            counts.notJoined += 1
            return
        }
        counts.peers += 1
        counts.bytes += part.count
        if try subscribed(socket, within: 5) { counts.dropped += 1 }
    }

    /// Whether a subscription message arrives within `seconds`.
    private func subscribed(_ socket: ZMQSocket, within seconds: Double) throws -> Bool {
        let deadline = MonotonicClock.now() + Int64(seconds * 1e9)
        while MonotonicClock.now() < deadline {
            while let parts = try socket.receive(dontWait: true) {
                if parts.first?.first == 1 { return true }
            }
            ReplaySender.sleep(seconds: 0.01)
        }
        return false
    }
}
