package dev.lbipam.controller;

import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Keeps allocations out while the backend's holdings are being re-asserted after it lost its state
 * (an allocation then could hand out an address a Service holds but the backend no longer knows).
 * Workers never wait here: an allocation that finds a restore under way is deferred. The restore
 * waits for the allocations already running, then runs alone.
 */
final class RestoreGate {
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private volatile boolean restoring;

  /** Enters for one allocation; false while a restore runs or waits (the caller retries later). */
  boolean tryEnterAllocation() {
    if (restoring) {
      return false;
    }
    if (!lock.readLock().tryLock()) {
      return false;
    }
    if (restoring) {
      lock.readLock().unlock();
      return false;
    }
    return true;
  }

  void exitAllocation() {
    lock.readLock().unlock();
  }

  /** Runs the restore once the running allocations are done, with no allocation beside it. */
  void restore(Runnable restore) {
    restoring = true;
    lock.writeLock().lock();
    try {
      restore.run();
    } finally {
      restoring = false;
      lock.writeLock().unlock();
    }
  }
}
