/** A binary heap: `pop` returns the item that comes first under `before` (a strict order). */
export interface Heap<T> {
  push(item: T): void;
  pop(): T | undefined;
  readonly size: number;
}

export function createHeap<T>(before: (a: T, b: T) => boolean): Heap<T> {
  const heap: T[] = [];
  return {
    push(item) {
      heap.push(item);
      let i = heap.length - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!before(heap[i], heap[p])) break;
        [heap[i], heap[p]] = [heap[p], heap[i]];
        i = p;
      }
    },
    pop() {
      if (heap.length === 0) return undefined;
      const top = heap[0];
      const last = heap.pop()!;
      if (heap.length > 0) {
        heap[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < heap.length && before(heap[l], heap[m])) m = l;
          if (r < heap.length && before(heap[r], heap[m])) m = r;
          if (m === i) break;
          [heap[i], heap[m]] = [heap[m], heap[i]];
          i = m;
        }
      }
      return top;
    },
    get size() {
      return heap.length;
    },
  };
}
