import CMCStream

/// The CURVE part of the daemon's configuration: which sockets are servers (and so need an
/// allow-list), and reading the key files at startup.
extension DaemonConfig {
    /// Whether the sockets of `list` are CURVE clients of `curve_server_key` (they only connect).
    private func isClient(_ list: [String]) -> Bool {
        curveServerKey != nil && !list.isEmpty && list.allSatisfy { $0.hasPrefix("connect:") }
    }

    /// What is wrong with the CURVE keys, if anything (file contents are checked at startup).
    func curveProblems() -> [String] {
        var p: [String] = []
        guard curveSecretKey != nil else {
            for (key, value) in [
                ("curve_sensors", curveSensors), ("curve_consumers", curveConsumers),
                ("curve_server_key", curveServerKey),
            ]
            where value != nil {
                p.append("\(key): needs curve_secret_key (this daemon's own key)")
            }
            return p
        }
        if curveServerKey != nil {
            for (name, list) in [("imu", imu), ("skeleton", skeleton), ("labels", labels)]
            where list.contains(where: { $0.hasPrefix("bind:") }) && list.contains(where: { $0.hasPrefix("connect:") })
            {
                p.append(
                    "\(name): mixes bind: and connect: while curve_server_key is set; a socket is either a CURVE server or a client"
                )
            }
        }
        let frameServers = [imu, skeleton].contains { !$0.isEmpty && !isClient($0) }
        if frameServers && curveSensors == nil {
            p.append("curve_sensors: required, the frame sockets are CURVE servers (allow-list file of sensor keys)")
        }
        if !isClient(labels) && curveConsumers == nil {
            p.append("curve_consumers: required, the label socket is a CURVE server (allow-list file of consumer keys)")
        }
        return p
    }

    /// Reads the key files: nil without CURVE. Throws naming the file and the problem (never a key).
    public func loadCurve() throws -> PipelineCurve? {
        guard let curveSecretKey else { return nil }
        let keys = try CurveKeyFiles.readSecret(path: curveSecretKey)
        let empty = CurveAllowList([:], source: "none (client sockets only)")
        return PipelineCurve(
            keys: keys, sensors: try curveSensors.map(CurveAllowList.read(path:)) ?? empty,
            consumers: try curveConsumers.map(CurveAllowList.read(path:)) ?? empty,
            upstreamServerKey: try curveServerKey.map(CurveKeyFiles.readPublic))
    }

    /// The allow-lists alone, re-read on SIGHUP.
    func loadAllowLists() throws -> (sensors: CurveAllowList, consumers: CurveAllowList)? {
        guard curveSecretKey != nil else { return nil }
        let empty = CurveAllowList([:], source: "none (client sockets only)")
        return (
            try curveSensors.map(CurveAllowList.read(path:)) ?? empty,
            try curveConsumers.map(CurveAllowList.read(path:)) ?? empty
        )
    }
}
