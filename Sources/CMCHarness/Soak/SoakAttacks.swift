/// What the soak's attackers did, for the report (`SoakOversize`, `SoakSquatter`, `SoakHTTPAttack`)
/// and how the scrapes under attack went (`SoakScraper`).
public struct SoakAttacks: Codable, Sendable {
    public struct Oversize: Codable, Sendable {
        /// Publishers that connected, were subscribed to and sent their oversized message.
        public var peers = 0
        /// Of those, cut off by cmcd (seen re-subscribing on a new connection within 5 s).
        public var dropped = 0
        /// Publishers never subscribed to within 5 s (no message sent).
        public var notJoined = 0
        public var bytes = 0
        public var messageBytes = 0

        enum CodingKeys: String, CodingKey {
            case peers, dropped, bytes
            case notJoined = "not_joined", messageBytes = "message_bytes"
        }
    }

    public struct Squat: Codable, Sendable {
        public var frames = 0
        /// Distinct invented ids sent.
        public var ids = 0
        public var bursts = 0
    }

    public struct HTTP: Codable, Sendable {
        public var idleConnections = 0
        /// Idle connections opened in all: the first ones and every reopening after cmcd closed one.
        public var idleOpened = 0
        public var slowlorisClients = 0
        public var slowlorisBytes = 0
        /// Times cmcd closed a slowloris connection before its request was complete.
        public var slowlorisCutOff = 0

        enum CodingKeys: String, CodingKey {
            case idleConnections = "idle_connections", idleOpened = "idle_opened"
            case slowlorisClients = "slowloris_clients"
            case slowlorisBytes = "slowloris_bytes", slowlorisCutOff = "slowloris_cut_off"
        }
    }

    public struct Scrapes: Codable, Sendable {
        public var scrapes = 0
        public var failures = 0
        public var milliseconds = LatencyStats([])
        /// The first few failures, as what went wrong.
        public var errors: [String] = []
    }

    public var oversize = Oversize()
    public var squat = Squat()
    public var http = HTTP()
    public var scrapes = Scrapes()
}
