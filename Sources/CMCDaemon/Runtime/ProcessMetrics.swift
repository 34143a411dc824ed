import CMCModel
import CMCStream
import Foundation

/// The standard `process_*` metrics (as Prometheus' client libraries name them) and `cmc_build_info`,
/// read from the kernel at each scrape, so dashboards and alerts written for any service work on cmcd.
public enum ProcessMetrics {
    public static func register(in registry: MetricsRegistry) {
        registry.gauge(
            "cmc_build_info", help: "Always 1; the labels say what is running.",
            labels: [
                ("version", CMCVersion.string), ("commit", ToolVersion.commit),
                ("bundle_format", "\(BundleMetadata.currentVersion)"),
                ("protocol", "1"), ("protocol_revision", "2"),
            ]
        ).set(1)
        let started = Date().timeIntervalSince1970
        registry.gauge(
            "process_start_time_seconds", help: "Start time of the process since the Unix epoch, in seconds."
        ).set(started)
        let cpu = registry.counter("process_cpu_seconds_total", help: "User and system CPU time spent, in seconds.")
        let resident = registry.gauge("process_resident_memory_bytes", help: "Resident memory size, in bytes.")
        let virtual = registry.gauge("process_virtual_memory_bytes", help: "Virtual memory size, in bytes.")
        let fds = registry.gauge("process_open_fds", help: "Open file descriptors.")
        let maxFDs = registry.gauge("process_max_fds", help: "Limit on open file descriptors.")
        registry.collect {
            var usage = rusage()
            if getrusage(Int32(RUSAGE_SELF.rawValue), &usage) == 0 {
                cpu.advance(
                    to: Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(
                        usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6)
            }
            // /proc/self/statm: sizes in pages, virtual first, resident second.
            if let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) {
                let pages = text.split(separator: " ").compactMap { Double($0) }
                let page = Double(sysconf(Int32(_SC_PAGESIZE)))
                if pages.count >= 2 {
                    virtual.set(pages[0] * page)
                    resident.set(pages[1] * page)
                }
            }
            if let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
                fds.set(Double(entries.count))
            }
            var limit = rlimit()
            if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 { maxFDs.set(Double(limit.rlim_cur)) }
        }
    }
}
