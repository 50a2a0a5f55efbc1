/// A binary min-heap of timed items. Ties are broken by insertion order, so two runs from the
/// same seed pop the same items in the same order. Public so the coordination simulation runs on
/// the same clock discipline.
package struct EventQueue<Item> {
    private struct Entry {
        var time: Duration
        var order: UInt64
        var item: Item

        func precedes(_ other: Entry) -> Bool {
            (time, order) < (other.time, other.order)
        }
    }

    private var heap: [Entry] = []
    private var inserted: UInt64 = 0

    package init() {}

    package var nextTime: Duration? { heap.first?.time }

    package mutating func push(_ item: Item, at time: Duration) {
        heap.append(Entry(time: time, order: inserted, item: item))
        inserted &+= 1
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    package mutating func pop() -> (time: Duration, item: Item)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].precedes(heap[smallest]) { smallest = left }
            if right < heap.count && heap[right].precedes(heap[smallest]) { smallest = right }
            if smallest == parent { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return (top.time, top.item)
    }
}
