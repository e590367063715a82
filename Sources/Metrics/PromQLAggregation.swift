import TraceModel

/// Aggregation operators (`sum`, `avg`, `topk`, `count_values`...) over instant vectors, by group.
extension PromQLEngine {
    func aggregate(_ op: String, param: Expr?, _ inner: Expr, grouping: [String], without: Bool, at time: Int64) throws(PromQLError) -> [VectorElement] {
        let elements = try vectorValue(inner, at: time)
        var parameter = 0.0
        var label = ""
        if let param {
            if op == "count_values" {
                label = try stringValue(param, at: time)
                guard Self.isValidLabelName(label) else { throw PromQLError("invalid label name \"\(label)\"") }
            } else {
                parameter = try scalarValue(param, at: time)
            }
        }
        let cacheKey = (without ? "without\u{0}" : "by\u{0}") + grouping.joined(separator: "\u{0}")
        var cache = groupKeys.removeValue(forKey: cacheKey) ?? [:]
        defer { groupKeys[cacheKey] = cache }
        func key(_ labels: Labels) -> Labels {
            if let known = cache[labels] { return known }
            let group = without ? labels.removing(grouping + [Labels.metricNameLabel]) : labels.keeping(grouping)
            cache[labels] = group
            return group
        }
        if (op == "topk" || op == "bottomk"), parameter.isNaN { throw PromQLError("Parameter value is NaN") }
        // sum, count, group, min and max fold each element into its group as it comes: no member lists.
        if ["sum", "count", "group", "min", "max"].contains(op) {
            var index: [Labels: Int] = [:]
            var groupLabels: [Labels] = []
            var sums: [KahanSum] = [], counts: [Int] = [], extremes: [Double] = []
            for element in elements {
                let group = key(element.labels)
                let position: Int
                if let known = index[group] {
                    position = known
                } else {
                    position = groupLabels.count
                    index[group] = position
                    groupLabels.append(group)
                    sums.append(KahanSum())
                    counts.append(0)
                    extremes.append(element.value)
                }
                sums[position].add(element.value)
                counts[position] += 1
                let current = extremes[position]
                if current.isNaN || (op == "min" ? element.value < current : element.value > current) { extremes[position] = element.value }
            }
            return groupLabels.indices.map { position in
                let value: Double
                switch op {
                case "sum": value = sums[position].value
                case "count": value = Double(counts[position])
                case "group": value = 1
                default: value = extremes[position]
                }
                return VectorElement(labels: groupLabels[position], value: value, time: time)
            }
        }
        var groups: [Labels: [VectorElement]] = [:]
        var order: [Labels] = []
        for element in elements {
            let group = key(element.labels)
            if groups[group] == nil { order.append(group) }
            groups[group, default: []].append(element)
        }
        var out: [VectorElement] = []
        // count_values's output label may overwrite a grouping label: groups that then have the same labels are
        // one series, as Prometheus counts them (by the labels after the value is set).
        var countedAt: [Labels: Int] = [:]
        for group in order {
            let members = groups[group] ?? []
            let values = members.map(\.value)
            switch op {
            case "avg", "stddev", "stdvar":
                out.append(VectorElement(labels: group, value: Self.fold(op, values), time: time))
            case "quantile":
                out.append(VectorElement(labels: group, value: PromQLMath.quantile(parameter, values), time: time))
            case "count_values":
                var counts: [String: Int] = [:]
                var seen: [String] = []
                for value in values {
                    let text = value.goText
                    if counts[text] == nil { seen.append(text) }
                    counts[text, default: 0] += 1
                }
                for text in seen {
                    let labels = group.setting(label, text), count = Double(counts[text] ?? 0)
                    if let position = countedAt[labels] {
                        out[position].value += count
                    } else {
                        countedAt[labels] = out.count
                        out.append(VectorElement(labels: labels, value: count, time: time))
                    }
                }
            case "topk", "bottomk":
                guard parameter >= 1 else { continue }
                let k = parameter >= Double(members.count) ? members.count : Int(parameter)
                out += Self.selectK(members, k: k, top: op == "topk").map { VectorElement(labels: $0.labels, value: $0.value, time: time) }
            default:
                throw PromQLError("aggregation \(op) is not supported")
            }
        }
        return out
    }

    /// topk/bottomk as Prometheus computes them: a heap of k (Go's container/heap), an element replacing the
    /// heap's least only when strictly better, so ties keep the same series Prometheus keeps; the result
    /// sorted best first.
    static func selectK(_ members: [VectorElement], k: Int, top: Bool) -> [VectorElement] {
        // "less" puts the element to evict first at the root: NaN, then the smallest (topk) or largest (bottomk).
        func less(_ a: VectorElement, _ b: VectorElement) -> Bool {
            if a.value.isNaN { return true }
            return top ? a.value < b.value : a.value > b.value
        }
        var heap: [VectorElement] = []
        func up(_ start: Int) {
            var child = start
            while child > 0 {
                let parent = (child - 1) / 2
                guard less(heap[child], heap[parent]) else { break }
                heap.swapAt(parent, child)
                child = parent
            }
        }
        func down(_ start: Int) -> Bool {
            var parent = start
            while true {
                let left = 2 * parent + 1
                guard left < heap.count else { break }
                var child = left
                if left + 1 < heap.count, less(heap[left + 1], heap[left]) { child = left + 1 }
                guard less(heap[child], heap[parent]) else { break }
                heap.swapAt(parent, child)
                parent = child
            }
            return parent > start
        }
        for member in members {
            if heap.count < k {
                heap.append(member)
                up(heap.count - 1)
                continue
            }
            let root = heap[0].value
            let better = top ? root < member.value : root > member.value
            if better || (root.isNaN && !member.value.isNaN) {
                heap[0] = member
                if !down(0) { up(0) }
            }
        }
        return heap.sorted { less($1, $0) }
    }
}
