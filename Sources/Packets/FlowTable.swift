import CPcap

/// Flows by 5-tuple (TCP and UDP; ICMP errors are attributed to the UDP flow they quote). Idle flows are
/// finished and handed to `sink` after Zeek's timeouts: a TCP attempt (a SYN never answered with SYN+ACK), or
/// a connection reset or closed both ways, after `attemptTimeout` (Zeek's `tcp_SYN_timeout`,
/// `tcp_reset_delay` and `tcp_close_delay`, 5 s); UDP after `udpTimeout` (`udp_inactivity_timeout`, 1 min); an
/// established TCP connection after `idleTimeout` (`tcp_inactivity_timeout`, 5 min). At most `maximumFlows` are
/// kept, so memory is bounded by the table, not by the capture: a flood of one flow per packet holds only
/// its last seconds.
///
/// Flows live in slots of one array, found through an `OpenAddressIndex` (a multiply-mix hash with a random
/// seed, so a capture cannot be crafted to collide); the order flows are finished
/// in never depends on the hash (sweeps and the end emit them by first packet).
public final class FlowTable {
    @exclusivity(unchecked) public var idleTimeout: UInt64 = 300 * 1_000_000_000
    @exclusivity(unchecked) public var attemptTimeout: UInt64 = 5 * 1_000_000_000
    @exclusivity(unchecked) public var udpTimeout: UInt64 = 60 * 1_000_000_000
    @exclusivity(unchecked) public var maximumFlows = 1_000_000
    /// Flows finished early because the table was full.
    @exclusivity(unchecked) public private(set) var evicted = 0
    @exclusivity(unchecked) public private(set) var finishedCount = 0

    /// Receives finished flows in order, a chunk at a time (a flood finishes thousands at once: one call each
    /// would cost a closure call and its reference counting per flow).
    private let sink: ([Flow]) -> Void
    /// The chunk being filled for `sink` (kept between calls to reuse its storage).
    @exclusivity(unchecked) private var finishing: [Flow] = []
    static let chunkSize = 1024
    /// A flow in its slot, with its key's hash and a generation that changes each time the slot is freed.
    private struct Slot {
        var flow: Flow
        var hash: UInt64
        var generation: UInt32
        var live: Bool
    }
    /// The 5-tuple hash, the same the reader computes.
    private let hasher = SeededHash.process
    @exclusivity(unchecked) private var slots: [Slot] = []
    @exclusivity(unchecked) private var freeSlots: [Int32] = []
    private let index = OpenAddressIndex()
    /// Slots in the order a sweep last looked at them (new flows at the back), with their generation and the
    /// earliest time they can expire, as far as was known then: a sweep only looks at the front.
    @exclusivity(unchecked) private var expiryQueue: [(slot: Int32, generation: UInt32, deadline: UInt64)] = []
    @exclusivity(unchecked) private var queueHead = 0
    @exclusivity(unchecked) private var lastSweep: UInt64 = 0
    /// The slots a sweep finishes (kept between sweeps to reuse its storage).
    @exclusivity(unchecked) private var idleSlots: [Int32] = []

    /// `sink` gets every finished flow, in chunks of at most `chunkSize`, in order of first packet within a sweep.
    public init(sink: @escaping ([Flow]) -> Void) { self.sink = sink }

    /// One flow at a time, for callers that do not care about the chunks.
    public convenience init(eachFlow: @escaping (Flow) -> Void) {
        self.init { flows in for flow in flows { eachFlow(flow) } }
    }

    public var activeCount: Int { index.count }

    public func add(_ packet: Packet) {
        if packet.isICMP, packet.quotedProtocol == 17 {
            // An ICMP port-unreachable about a UDP datagram the destination sent to the source.
            var quoted = packet
            quoted.ipProtocol = 17
            (quoted.source, quoted.destination) = (packet.destination, packet.source)
            quoted.sourcePort = packet.quotedSourcePort
            quoted.destinationPort = packet.quotedDestinationPort
            if let slot = find(quoted, hash: hasher.flowHash(quoted)).slot { slots[slot].flow.unreachable += 1 }
            return
        }
        guard packet.isTCP || packet.isUDP else { return }
        if packet.timestamp > lastSweep &+ attemptTimeout { sweep(now: packet.timestamp) }
        let hash = packet.flowHash != 0 ? packet.flowHash : hasher.flowHash(packet)
        let found = find(packet, hash: hash)
        if let slot = found.slot {
            slots[slot].flow.update(with: packet)
            return
        }
        if index.count >= maximumFlows {
            evictOldest()
            return add(packet)
        }
        insertFlow(startedBy: packet, hash: hash, bucket: found.bucket)
    }

    /// Asks the processor to bring the index bucket of this packet's flow into its cache, a few packets before
    /// `add` looks it up (when the reader hashed it already).
    public func prefetch(_ packet: Packet) {
        if packet.flowHash != 0 { index.prefetch(hash: packet.flowHash) }
    }

    /// Finishes every flow (at the end of a capture), in order of first packet.
    public func finish() {
        // The live slots sorted by first packet (indices, not copies of the flows, which a flood holds by the million).
        let remaining = slots.indices.filter { slots[$0].live }.sorted { slots[$0].flow.firstPacket < slots[$1].flow.firstPacket }
        for slot in remaining { emit(slots[slot].flow) }
        slots.removeAll()
        freeSlots.removeAll()
        index.removeAll()
        expiryQueue.removeAll()
        queueHead = 0
        flush()
    }

    /// Queues a finished flow for `sink`.
    private func emit(_ flow: Flow) {
        finishedCount += 1
        finishing.append(flow)
        if finishing.count >= Self.chunkSize { flush() }
    }

    /// Hands the queued flows to `sink`.
    private func flush() {
        guard !finishing.isEmpty else { return }
        sink(finishing)
        finishing.removeAll(keepingCapacity: true)
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
        idleSlots.removeAll(keepingCapacity: true)
        // Only for prefetch hints, which never read memory: no slot is added while sweeping, so it stays put.
        let storage = slots.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
        var inOrder = true
        let end = expiryQueue.count
        while queueHead < end, now > expiryQueue[queueHead].deadline {
            if queueHead + 16 < end { prefetchSlot(storage, Int(expiryQueue[queueHead + 16].slot)) }
            let entry = expiryQueue[queueHead]
            queueHead += 1
            let slot = Int(entry.slot)
            guard slots[slot].live, slots[slot].generation == entry.generation else { continue }
            let deadline = slots[slot].flow.last &+ timeout(of: slots[slot].flow)
            if now > deadline {
                if let previous = idleSlots.last, slots[Int(previous)].flow.firstPacket > slots[slot].flow.firstPacket { inOrder = false }
                idleSlots.append(entry.slot)
            } else {
                expiryQueue.append((entry.slot, entry.generation, deadline))
            }
        }
        // Drop the consumed front once it is most of the storage.
        if queueHead > 4096, queueHead * 2 > expiryQueue.count {
            expiryQueue.removeFirst(queueHead)
            queueHead = 0
        }
        // The queue is mostly in order of first packet already: sort the slots only when it is not.
        if !inOrder { idleSlots.sort { slots[Int($0)].flow.firstPacket < slots[Int($1)].flow.firstPacket } }
        for (position, slot) in idleSlots.enumerated() {
            // Bring in the slot 16 flows ahead, and the index bucket removing the one 8 ahead will touch.
            if position + 16 < idleSlots.count { prefetchSlot(storage, Int(idleSlots[position + 16])) }
            if position + 8 < idleSlots.count { index.prefetch(hash: slots[Int(idleSlots[position + 8])].hash) }
            emit(slots[Int(slot)].flow)
            remove(Int(slot))
        }
        flush()
    }

    /// Asks for the cache lines of a slot's flow.
    private func prefetchSlot(_ storage: UnsafeRawPointer?, _ slot: Int) {
        guard let storage else { return }
        let start = storage + slot * MemoryLayout<Slot>.stride
        for offset in stride(from: 0, to: MemoryLayout<Slot>.size, by: 64) { tracelab_prefetch(start + offset) }
    }

    /// Finishes the least recently active tenth of the table at once, so a flood of new flows costs
    /// O(log n) per flow rather than a scan of the table each.
    private func evictOldest() {
        let batch = max(1, index.count / 10)
        let oldest = slots.indices.filter { slots[$0].live }
            .sorted { (slots[$0].flow.last, slots[$0].flow.firstPacket) < (slots[$1].flow.last, slots[$1].flow.firstPacket) }.prefix(batch)
        for slot in oldest {
            evicted += 1
            emit(slots[slot].flow)
            remove(slot)
        }
        flush()
    }

    // MARK: The index

    /// The packet's flow's slot, or the empty bucket where it would go.
    private func find(_ packet: Packet, hash: UInt64) -> (slot: Int?, bucket: Int) {
        index.find(hash: hash) { slots[$0].flow.carries(packet) }
    }

    /// Starts a flow at its first packet, built in its slot (a flow is too large to copy in for free).
    private func insertFlow(startedBy packet: Packet, hash: UInt64, bucket: Int) {
        let flow = Flow(ipProtocol: packet.ipProtocol, originator: packet.source, originatorPort: packet.sourcePort, responder: packet.destination,
                        responderPort: packet.destinationPort, first: packet.timestamp, last: packet.timestamp, firstPacket: packet.number,
                        firstFlags: packet.tcpFlags, firstWindow: packet.window, firstOptions: packet.tcpOptions,
                        firstAckWithoutFlag: packet.tcpFlags & Packet.ack == 0 && packet.acknowledgment != 0)
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = Int(free)
            slots[slot].flow = flow
            slots[slot].hash = hash
            slots[slot].live = true
        } else {
            slot = slots.count
            if slot == slots.capacity { slots = HugePages.grown(slots) }
            slots.append(Slot(flow: flow, hash: hash, generation: 0, live: true))
        }
        slots[slot].flow.update(with: packet)
        index.insert(hash: hash, slot: slot, at: bucket)
        expiryQueue.append((Int32(slot), slots[slot].generation, packet.timestamp &+ min(attemptTimeout, udpTimeout, idleTimeout)))
    }

    /// Frees a slot and takes it out of the index.
    private func remove(_ slot: Int) {
        index.remove(hash: slots[slot].hash, slot: slot)
        slots[slot].live = false
        slots[slot].generation &+= 1
        freeSlots.append(Int32(slot))
    }
}
