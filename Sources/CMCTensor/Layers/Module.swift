/// A neural-network module: named parameters, named buffers, child modules and a train/eval mode.
///
/// Names follow PyTorch's `state_dict` convention (`conv1.bn.running_mean`), so weights can be
/// compared with, and exchanged with, PyTorch. Subclasses list their own parameters, buffers and
/// children; traversal, mode switching, freezing and state loading live here once.
open class Module {
    public private(set) var isTraining = true

    public init() {}

    /// Child modules, in a stable order.
    open var children: [(String, Module)] { [] }
    /// Trainable tensors owned directly by this module.
    open var localParameters: [(String, Variable)] { [] }
    /// Non-trainable state owned directly by this module (e.g. BatchNorm running statistics).
    open var localBuffers: [(String, Variable)] { [] }

    public final func namedParameters() -> [(String, Variable)] { collect { $0.localParameters } }
    public final func namedBuffers() -> [(String, Variable)] { collect { $0.localBuffers } }
    public final var parameters: [Variable] { namedParameters().map(\.1) }
    public final var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    private func collect(_ local: (Module) -> [(String, Variable)], prefix: String = "") -> [(String, Variable)] {
        var out = local(self).map { (prefix + $0.0, $0.1) }
        for (name, child) in children { out += child.collect(local, prefix: prefix + name + ".") }
        return out
    }

    /// Switches this module and all children to training (or evaluation) mode.
    public final func train(_ on: Bool = true) {
        isTraining = on
        for (_, c) in children { c.train(on) }
    }

    public final func eval() { train(false) }

    /// Keeps int8 copies of this module's own weights for inference (`quantizeForInference()`); by
    /// default nothing: only layers with an int8 path override it.
    open func quantizeLocalWeights() {}

    /// Stops (or restarts) gradient tracking of every parameter.
    public final func freeze(_ frozen: Bool = true) {
        for p in parameters { p.requiresGrad = !frozen }
    }

    public final func zeroGrad() { for p in parameters { p.grad = nil } }

    /// Parameters and buffers by their full names.
    public final func stateDict() -> [String: Tensor] {
        var d: [String: Tensor] = [:]
        for (n, v) in namedParameters() + namedBuffers() { d[n] = v.value }
        return d
    }

    /// Loads parameters and buffers by name. Every tensor of the module must be present with the same
    /// shape; extra entries are an error unless `allowExtra`. The module is untouched when it throws.
    public final func load(stateDict: [String: Tensor], prefix: String = "", allowExtra: Bool = false) throws {
        let own = namedParameters() + namedBuffers()
        var problems: [String] = []
        for (name, v) in own {
            guard let t = stateDict[prefix + name] else {
                problems.append("missing \(prefix + name)")
                continue
            }
            if t.shape != v.value.shape {
                problems.append("\(prefix + name) has shape \(t.shape), the model expects \(v.value.shape)")
            } else if !t.isFinite {
                problems.append("\(prefix + name) contains NaN or infinite values")
            }
        }
        if !allowExtra {
            let ownNames = Set(own.map { prefix + $0.0 })
            let extra = stateDict.keys.filter { $0.hasPrefix(prefix) && !ownNames.contains($0) }.sorted()
            problems += extra.map { "unexpected tensor \($0)" }
        }
        if !problems.isEmpty { throw StateDictError(problems: problems) }
        for (name, v) in own { v.value = stateDict[prefix + name]! }
    }
}

public struct StateDictError: Error, CustomStringConvertible {
    public let problems: [String]
    public var description: String {
        "weights do not fit the model (\(problems.count) problem\(problems.count == 1 ? "" : "s")): "
            + problems.prefix(10).joined(separator: "; ") + (problems.count > 10 ? "; …" : "")
    }
}
