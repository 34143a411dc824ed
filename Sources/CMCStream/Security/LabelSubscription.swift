/// A subscription a consumer sent to the label socket, as an XPUB socket in manual mode hands it over:
/// one part, `1` (subscribe) or `0` (unsubscribe), then the topic prefix.
///
/// With `ZMQ_XPUB_MANUAL` libzmq applies nothing by itself: the I/O thread reads each subscription with
/// the ZAP user id of the consumer that sent it and applies what that consumer's allow-list line grants
/// (`granted(to:)`) to that consumer alone. Plain SUB sockets need no change: the wire is the same.
struct LabelSubscription: Equatable, Sendable {
    var subscribe: Bool
    var topic: [UInt8]

    /// Nil for anything that is not a subscription message.
    init?(message parts: [[UInt8]]) {
        guard parts.count == 1, let flag = parts[0].first, flag <= 1 else { return nil }
        subscribe = flag == 1
        topic = Array(parts[0].dropFirst())
    }

    init(subscribe: Bool, topic: String) {
        self.subscribe = subscribe
        self.topic = Array(topic.utf8)
    }

    /// The topic prefixes to apply for a consumer granted `grant`: the requested prefix itself for an
    /// unrestricted consumer; for one restricted to subjects, the intersection of the request with those
    /// subjects' label and action topics — each subject's own topic where the request covers it
    /// (`label/` → `label/7/`), or the request where it is narrower than one (`label/7/` itself). Topics
    /// end in `/`, so `label/7/` never matches subject 70.
    func granted(to grant: CurveAllowList.Grant) -> [[UInt8]] {
        switch grant {
        case .all: return [topic]
        case .subjects(let ids):
            var topics: [[UInt8]] = []
            for id in ids.sorted() {
                for own in [Topic.label(subject: id), Topic.action(subject: id)].map({ Array($0.utf8) }) {
                    if own.starts(with: topic) {
                        topics.append(own)
                    } else if topic.starts(with: own) {
                        topics.append(topic)
                    }
                }
            }
            return topics
        }
    }
}
