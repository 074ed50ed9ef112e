'use strict';

// Progress updates of one call, consumed with `for await (const update of callPromise)`.
class ProgressStream {
  constructor() {
    // Updates not yet taken, from `head` on. Taking moves `head` instead of shifting the array,
    // so a consumer that falls behind pays O(1) per update, not O(backlog).
    this.buffer = [];
    this.head = 0;
    this.waiter = null;
    this.done = false;
    this.error = null;
  }

  push(value) {
    if (this.done) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve({ value, done: false });
    } else {
      this.buffer.push(value);
    }
  }

  end(error) {
    if (this.done) return;
    this.done = true;
    this.error = error;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      if (error) w.reject(error);
      else w.resolve({ value: undefined, done: true });
    }
  }

  next() {
    if (this.head < this.buffer.length) return Promise.resolve({ value: this.take(), done: false });
    if (this.done) return this.error ? Promise.reject(this.error) : Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  take() {
    const value = this.buffer[this.head];
    this.buffer[this.head] = undefined;
    this.head += 1;
    if (this.head === this.buffer.length) {
      this.buffer = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.buffer.length) {
      this.buffer = this.buffer.slice(this.head);
      this.head = 0;
    }
    return value;
  }

  iterator() {
    return {
      next: () => this.next(),
      return: () => {
        this.end(null);
        this.buffer = [];
        this.head = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }
}

module.exports = { ProgressStream };
