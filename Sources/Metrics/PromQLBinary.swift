import Foundation
import TraceModel

/// Binary operators: arithmetic, comparisons (filtering or `bool`) and set operators, between scalars and
/// instant vectors, with one-to-one, many-to-one and one-to-many vector matching.
extension PromQLEngine {
    func binary(_ op: BinaryOperator, _ leftExpr: Expr, _ rightExpr: Expr, returnBool: Bool, matching: VectorMatching?, at time: Int64) throws(PromQLError) -> PromValue {
        let left = try evaluate(leftExpr, at: time)
        let right = try evaluate(rightExpr, at: time)
        switch (left, right) {
        case (.scalar(let a, _), .scalar(let b, _)):
            let (value, keep) = Self.apply(op, a, b)
            return .scalar(op.isComparison ? (keep ? 1 : 0) : value, time: time)
        case (.vector(let elements), .scalar(let b, _)):
            return .vector(try Self.unique(elements.compactMap { element in
                let (value, keep) = Self.apply(op, element.value, b)
                return Self.result(op, element, value: value, keep: keep, returnBool: returnBool, time: time)
            }))
        case (.scalar(let a, _), .vector(let elements)):
            return .vector(try Self.unique(elements.compactMap { element in
                let (value, keep) = Self.apply(op, a, element.value)
                // A comparison keeps the vector element's value, whichever side it is on.
                return Self.result(op, element, value: op.isComparison ? element.value : value, keep: keep, returnBool: returnBool, time: time)
            }))
        case (.vector(let lhs), .vector(let rhs)):
            let matching = matching ?? VectorMatching()
            if op.isSetOperator { return .vector(Self.setOperation(op, lhs, rhs, matching)) }
            return .vector(try vectorBinary(op, lhs, rhs, matching: matching, returnBool: returnBool, time: time))
        default:
            throw PromQLError("binary expression must contain only scalar and instant vector types")
        }
    }

    private static func result(_ op: BinaryOperator, _ element: VectorElement, value: Double, keep: Bool, returnBool: Bool, time: Int64) -> VectorElement? {
        if op.isComparison {
            if returnBool { return VectorElement(labels: element.labels.droppingName, value: keep ? 1 : 0, time: time) }
            return keep ? VectorElement(labels: element.labels, value: value, time: time) : nil
        }
        return VectorElement(labels: element.labels.droppingName, value: value, time: time)
    }

    /// The arithmetic result, and for comparisons whether it holds (the value is then the left operand).
    static func apply(_ op: BinaryOperator, _ a: Double, _ b: Double) -> (Double, Bool) {
        switch op {
        case .add: return (a + b, true)
        case .sub: return (a - b, true)
        case .mul: return (a * b, true)
        case .div: return (a / b, true)
        case .mod: return (fmod(a, b), true)
        case .pow: return (pow(a, b), true)
        case .atan2: return (atan2(a, b), true)
        case .eql: return (a, a == b)
        case .neq: return (a, a != b)
        case .gtr: return (a, a > b)
        case .lss: return (a, a < b)
        case .gte: return (a, a >= b)
        case .lte: return (a, a <= b)
        case .and, .or, .unless: return (a, true)
        }
    }

    static func signature(_ labels: Labels, _ matching: VectorMatching) -> Labels {
        matching.on ? labels.keeping(matching.labels) : labels.removing(matching.labels + [Labels.metricNameLabel])
    }

    static func setOperation(_ op: BinaryOperator, _ lhs: [VectorElement], _ rhs: [VectorElement], _ matching: VectorMatching) -> [VectorElement] {
        let rightSignatures = Set(rhs.map { signature($0.labels, matching) })
        switch op {
        case .and: return lhs.filter { rightSignatures.contains(signature($0.labels, matching)) }
        case .unless: return lhs.filter { !rightSignatures.contains(signature($0.labels, matching)) }
        default:
            let leftSignatures = Set(lhs.map { signature($0.labels, matching) })
            return lhs + rhs.filter { !leftSignatures.contains(signature($0.labels, matching)) }
        }
    }

    func vectorBinary(_ op: BinaryOperator, _ lhs: [VectorElement], _ rhs: [VectorElement], matching: VectorMatching, returnBool: Bool, time: Int64) throws(PromQLError) -> [VectorElement] {
        // The "one" side is indexed; for group_right the sides swap, and swap back for the operation.
        let swapped = matching.cardinality == .oneToMany
        let many = swapped ? rhs : lhs
        let one = swapped ? lhs : rhs
        var oneBySignature: [Labels: VectorElement] = [:]
        for element in one {
            let signature = Self.signature(element.labels, matching)
            if let existing = oneBySignature[signature] {
                let side = swapped ? "left" : "right"
                let pair = [existing.labels, element.labels].sorted().map(\.braced).joined(separator: ", ")
                throw PromQLError("found duplicate series for the match group \(signature.braced) on the \(side) hand-side of the operation: [\(pair)];many-to-many matching not allowed: matching labels must be unique on one side")
            }
            oneBySignature[signature] = element
        }
        var out: [VectorElement] = []
        var seenOneToOne = Set<Labels>()
        var seenResults = Set<Labels>()
        for element in many {
            let signature = Self.signature(element.labels, matching)
            guard let partner = oneBySignature[signature] else { continue }
            if matching.cardinality == .oneToOne {
                guard seenOneToOne.insert(signature).inserted else {
                    throw PromQLError("multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)")
                }
            }
            let (a, b) = swapped ? (partner.value, element.value) : (element.value, partner.value)
            let (value, keep) = Self.apply(op, a, b)
            if op.isComparison && !returnBool && !keep { continue }
            var labels = element.labels
            if !op.isComparison || returnBool { labels = labels.droppingName }
            if matching.cardinality == .oneToOne {
                labels = matching.on ? labels.keeping(matching.labels) : labels.removing(matching.labels)
            }
            for name in matching.include {
                labels = labels.setting(name, partner.labels[name] ?? "")
            }
            guard seenResults.insert(labels).inserted else {
                if matching.cardinality == .oneToOne { throw PromQLError("vector cannot contain metrics with the same labelset") }
                throw PromQLError("multiple matches for labels: grouping labels must ensure unique matches")
            }
            let resultValue = returnBool ? (keep ? 1.0 : 0.0) : value
            out.append(VectorElement(labels: labels, value: resultValue, time: time))
        }
        return out
    }
}
