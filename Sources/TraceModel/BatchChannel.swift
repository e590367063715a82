import Foundation

/// A bounded queue of batches between two threads: a producer blocks while the queue is full, a
/// consumer while it is empty. Either side can stop the other (finish with an error, or cancel).
public final class BatchChannel<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [[Element]] = []
    private var consumed: [[Element]] = []
    private var head = 0
    private var finished = false
    private var cancelled = false
    public private(set) var failure: Error?
    private let capacity: Int

    public init(capacity: Int) { self.capacity = capacity }

    /// Queues a batch; false when the consumer cancelled.
    public func send(_ batch: [Element]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while queue.count - head >= capacity && !cancelled { condition.wait() }
        if cancelled { return false }
        queue.append(batch)
        condition.broadcast()
        return true
    }

    /// No more batches; `error` is what stopped the producer, if anything.
    public func finish(error: Error?) {
        condition.lock()
        finished = true
        failure = error
        condition.broadcast()
        condition.unlock()
    }

    /// The next batch, or nil when the producer finished (check `failure`).
    public func receive() -> [Element]? {
        condition.lock()
        defer { condition.unlock() }
        while head == queue.count && !finished { condition.wait() }
        guard head < queue.count else { return nil }
        let batch = queue[head]
        // The queue lets go of it, so that the batch, once recycled, is the producer's alone to refill in place.
        queue[head] = []
        head += 1
        if head > 64 { queue.removeFirst(head); head = 0 }
        condition.broadcast()
        return batch
    }

    /// Hands a consumed batch back to the producer, which fills it again: its memory is neither freed on this
    /// thread nor allocated (and faulted in) anew on the producer's. Pass it with `consume`: a reference the consumer
    /// still holds when the producer takes the batch makes the producer's emptying copy it into new storage.
    public func recycle(_ batch: consuming [Element]) {
        guard batch.capacity > 0 else { return }
        condition.lock()
        consumed.append(batch)
        condition.unlock()
    }

    /// A batch the consumer handed back, emptied with its storage kept, or nil (on the producing thread).
    @usableFromInline func takeConsumed() -> [Element]? {
        condition.lock()
        var batch = consumed.popLast()
        condition.unlock()
        batch?.removeAll(keepingCapacity: true)
        return batch
    }

    /// The consumer stops; the producer's next send returns false.
    public func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until the producer has finished.
    public func waitUntilFinished() {
        condition.lock()
        while !finished { condition.wait() }
        condition.unlock()
    }

    /// Stops a producer whose consumer cancelled.
    @usableFromInline struct Cancelled: Error {
        @usableFromInline init() {}
    }

    /// Starts a producer thread (8 MiB of stack, for deep parsing) that runs `body`; each element `body` hands to
    /// `emit` travels to the consumer in batches of `batchSize`, `beforeSend` running on the producer before each
    /// batch goes. The channel finishes when `body` returns, with the error it throws, or quietly when the consumer
    /// cancelled. Inlinable, so the element type's copies into a batch are specialized in the caller's module.
    @inlinable public static func startProducer(capacity: Int = 8, batchSize: Int, beforeSend: @escaping @Sendable () -> Void = {},
                                     _ body: @escaping @Sendable (_ emit: (Element) throws -> Void) throws -> Void) -> BatchChannel<Element> {
        let channel = BatchChannel<Element>(capacity: capacity)
        let thread = Thread {
            var batch: [Element] = []
            batch.reserveCapacity(batchSize)
            do {
                try body { element in
                    batch.append(element)
                    if batch.count == batchSize {
                        beforeSend()
                        guard channel.send(batch) else { throw Cancelled() }
                        if let recycled = channel.takeConsumed() {
                            batch = recycled
                        } else {
                            batch = []
                            batch.reserveCapacity(batchSize)
                        }
                    }
                }
                beforeSend()
                if !batch.isEmpty { _ = channel.send(batch) }
                channel.finish(error: nil)
            } catch is Cancelled {
                channel.finish(error: nil)
            } catch {
                channel.finish(error: error)
            }
        }
        thread.stackSize = 8 << 20
        thread.start()
        return channel
    }
}
