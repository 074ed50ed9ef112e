'use strict';

// Progress updates of one call, consumed with `for await (const update of callPromise)`.
class ProgressStream {
  constructor() {
    this.buffer = [];
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
    if (this.buffer.length > 0) return Promise.resolve({ value: this.buffer.shift(), done: false });
    if (this.done) return this.error ? Promise.reject(this.error) : Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  iterator() {
    return {
      next: () => this.next(),
      return: () => {
        this.end(null);
        this.buffer = [];
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }
}

module.exports = { ProgressStream };
