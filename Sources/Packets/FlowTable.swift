/// Flows by 5-tuple (TCP and UDP; ICMP errors are attributed to the UDP flow they quote). Idle flows are
/// finished and handed to `sink` after Zeek's timeouts: a TCP attempt (a SYN never answered with SYN+ACK), or
/// a connection reset or closed both ways, after `attemptTimeout` (Zeek's `tcp_SYN_timeout`,
/// `tcp_reset_delay` and `tcp_close_delay`, 5 s); UDP after `udpTimeout` (`udp_inactivity_timeout`, 1 min); an
/// established TCP connection after `idleTimeout` (`tcp_inactivity_timeout`, 5 min). At most `maximumFlows` are
/// kept, so memory is bounded by the table, not by the capture: a flood of one flow per packet holds only
/// its last seconds.
///
/// Flows live in slots of one array, found through an open-addressing index (linear probing, a multiply-mix
/// hash with a per-table random seed, so a capture cannot be crafted to collide); the order flows are finished
/// in never depends on the hash (sweeps and the end emit them by first packet).
public final class FlowTable {
    public var idleTimeout: UInt64 = 300 * 1_000_000_000
    public var attemptTimeout: UInt64 = 5 * 1_000_000_000
    public var udpTimeout: UInt64 = 60 * 1_000_000_000
    public var maximumFlows = 1_000_000
    /// Flows finished early because the table was full.
    public private(set) var evicted = 0
    public private(set) var finishedCount = 0

    private let sink: (Flow) -> Void
    /// Slot storage: the flow, its key, and a generation that changes each time the slot is freed.
    @exclusivity(unchecked) private var slots: [Flow] = []
    @exclusivity(unchecked) private var keys: [FlowKey] = []
    @exclusivity(unchecked) private var generations: [UInt32] = []
    @exclusivity(unchecked) private var live: [Bool] = []
    @exclusivity(unchecked) private var freeSlots: [Int32] = []
    /// The index: slot + 1 per bucket, 0 for an empty one; a power of two, at most half full.
    @exclusivity(unchecked) private var buckets: [Int32] = [Int32](repeating: 0, count: 1024)
    @exclusivity(unchecked) private var count = 0
    private let seed = UInt64.random(in: .min ... .max)
    /// Slots in the order a sweep last looked at them (new flows at the back), with their generation and the
    /// earliest time they can expire, as far as was known then: a sweep only looks at the front.
    @exclusivity(unchecked) private var expiryQueue: [(slot: Int32, generation: UInt32, deadline: UInt64)] = []
    @exclusivity(unchecked) private var queueHead = 0
    @exclusivity(unchecked) private var lastSweep: UInt64 = 0

    public init(sink: @escaping (Flow) -> Void) { self.sink = sink }

    public var activeCount: Int { count }

    public func add(_ packet: Packet) {
        if packet.isICMP, packet.quotedProtocol == 17 {
            // An ICMP port-unreachable about a UDP datagram the destination sent to the source.
            var quoted = packet
            quoted.ipProtocol = 17
            (quoted.source, quoted.destination) = (packet.destination, packet.source)
            quoted.sourcePort = packet.quotedSourcePort
            quoted.destinationPort = packet.quotedDestinationPort
            if let slot = find(FlowKey(quoted)).slot { slots[slot].unreachable += 1 }
            return
        }
        guard packet.isTCP || packet.isUDP else { return }
        if packet.timestamp > lastSweep &+ attemptTimeout { sweep(now: packet.timestamp) }
        let key = FlowKey(packet)
        let found = find(key)
        if let slot = found.slot {
            slots[slot].update(with: packet)
            return
        }
        if count >= maximumFlows {
            evictOldest()
            return add(packet)
        }
        var flow = Flow(ipProtocol: packet.ipProtocol, originator: packet.source, originatorPort: packet.sourcePort, responder: packet.destination,
                        responderPort: packet.destinationPort, first: packet.timestamp, last: packet.timestamp, firstPacket: packet.number,
                        firstFlags: packet.tcpFlags, firstWindow: packet.window, firstOptions: packet.tcpOptions,
                        firstAckWithoutFlag: packet.tcpFlags & Packet.ack == 0 && packet.acknowledgment != 0)
        flow.update(with: packet)
        insert(flow, key: key, bucket: found.bucket)
    }

    /// Finishes every flow (at the end of a capture), in order of first packet.
    public func finish() {
        let remaining = (0..<slots.count).filter { live[$0] }.map { slots[$0] }.sorted { $0.firstPacket < $1.firstPacket }
        slots.removeAll()
        keys.removeAll()
        generations.removeAll()
        live.removeAll()
        freeSlots.removeAll()
        buckets = [Int32](repeating: 0, count: 1024)
        count = 0
        expiryQueue.removeAll()
        queueHead = 0
        for flow in remaining { emit(flow) }
    }

    private func emit(_ flow: Flow) {
        finishedCount += 1
        sink(flow)
    }

    /// How long a flow may stay idle (see the type's comment).
    func timeout(of flow: Flow) -> UInt64 {
        switch flow.ipProtocol {
        case 6:
            let closed = flow.has("R") || flow.has("r") || (flow.has("F") && flow.has("f"))
            let unanswered = flow.has("S") && !flow.answeredOpen
            return closed || unanswered ? attemptTimeout : idleTimeout
        case 17: return udpTimeout
        default: return idleTimeout
        }
    }

    /// Finishes the flows idle past their timeout, in order of first packet. Only the queue's front is looked
    /// at, up to the first entry whose deadline has not come; a flow seen since, or with a longer timeout, goes
    /// to the back with its new deadline.
    private func sweep(now: UInt64) {
        lastSweep = now
        var idle: [Flow] = []
        let end = expiryQueue.count
        while queueHead < end, now > expiryQueue[queueHead].deadline {
            let entry = expiryQueue[queueHead]
            queueHead += 1
            let slot = Int(entry.slot)
            guard live[slot], generations[slot] == entry.generation else { continue }
            let deadline = slots[slot].last &+ timeout(of: slots[slot])
            if now > deadline {
                idle.append(slots[slot])
                remove(slot)
            } else {
                expiryQueue.append((entry.slot, entry.generation, deadline))
            }
        }
        // Drop the consumed front once it is most of the storage.
        if queueHead > 4096, queueHead * 2 > expiryQueue.count {
            expiryQueue.removeFirst(queueHead)
            queueHead = 0
        }
        for flow in idle.sorted(by: { $0.firstPacket < $1.firstPacket }) { emit(flow) }
    }

    /// Finishes the least recently active tenth of the table at once, so a flood of new flows costs
    /// O(log n) per flow rather than a scan of the table each.
    private func evictOldest() {
        let batch = max(1, count / 10)
        let oldest = (0..<slots.count).filter { live[$0] }
            .sorted { (slots[$0].last, slots[$0].firstPacket) < (slots[$1].last, slots[$1].firstPacket) }.prefix(batch)
        let flows = oldest.map { slots[$0] }
        for slot in oldest { remove(slot) }
        for flow in flows {
            evicted += 1
            emit(flow)
        }
    }

    // MARK: The index

    private func hash(_ key: FlowKey) -> UInt64 {
        func mix(_ value: UInt64) -> UInt64 {
            var x = value
            x ^= x >> 33
            x &*= 0xFF51_AFD7_ED55_8CCD
            x ^= x >> 33
            x &*= 0xC4CE_B9FE_1A85_EC53
            x ^= x >> 33
            return x
        }
        var h = mix(seed ^ UInt64(key.ipProtocol) << 32 ^ UInt64(key.lowPort) << 16 ^ UInt64(key.highPort)
                    ^ (key.lowAddress.isV4 ? 1 << 40 : 0) ^ (key.highAddress.isV4 ? 1 << 41 : 0))
        h = mix(h ^ key.lowAddress.low)
        h = mix(h ^ key.lowAddress.high)
        h = mix(h ^ key.highAddress.low)
        return mix(h ^ key.highAddress.high)
    }

    /// The key's slot, or the empty bucket where it would go.
    private func find(_ key: FlowKey) -> (slot: Int?, bucket: Int) {
        let mask = buckets.count - 1
        var bucket = Int(truncatingIfNeeded: hash(key)) & mask
        while true {
            let entry = Int(buckets[bucket])
            if entry == 0 { return (nil, bucket) }
            if keys[entry - 1] == key { return (entry - 1, bucket) }
            bucket = (bucket + 1) & mask
        }
    }

    private func insert(_ flow: Flow, key: FlowKey, bucket: Int) {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = Int(free)
            slots[slot] = flow
            keys[slot] = key
            live[slot] = true
        } else {
            slot = slots.count
            slots.append(flow)
            keys.append(key)
            generations.append(0)
            live.append(true)
        }
        buckets[bucket] = Int32(slot + 1)
        count += 1
        expiryQueue.append((Int32(slot), generations[slot], flow.last &+ min(attemptTimeout, udpTimeout, idleTimeout)))
        if count * 2 > buckets.count { grow() }
    }

    /// Frees a slot and deletes its bucket (backward-shift deletion keeps every probe sequence unbroken).
    private func remove(_ slot: Int) {
        let mask = buckets.count - 1
        var hole = Int(truncatingIfNeeded: hash(keys[slot])) & mask
        while Int(buckets[hole]) != slot + 1 { hole = (hole + 1) & mask }
        var next = (hole + 1) & mask
        while buckets[next] != 0 {
            let home = Int(truncatingIfNeeded: hash(keys[Int(buckets[next]) - 1])) & mask
            // The entry at `next` may move into the hole when its home is not in (hole, next] cyclically.
            let movable = hole <= next ? (home <= hole || home > next) : (home <= hole && home > next)
            if movable {
                buckets[hole] = buckets[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        buckets[hole] = 0
        live[slot] = false
        generations[slot] &+= 1
        freeSlots.append(Int32(slot))
        count -= 1
    }

    private func grow() {
        buckets = [Int32](repeating: 0, count: buckets.count * 2)
        let mask = buckets.count - 1
        for slot in 0..<slots.count where live[slot] {
            var bucket = Int(truncatingIfNeeded: hash(keys[slot])) & mask
            while buckets[bucket] != 0 { bucket = (bucket + 1) & mask }
            buckets[bucket] = Int32(slot + 1)
        }
    }
}
