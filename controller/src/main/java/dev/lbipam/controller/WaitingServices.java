package dev.lbipam.controller;

import io.kubernetes.client.extended.controller.reconciler.Request;
import io.kubernetes.client.extended.workqueue.WorkQueue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Services that are ours but have no address yet (no pool, pool full, backend away). They are
 * queued again whenever something changes that may let them through: the pools, a release, the
 * backend coming back.
 */
final class WaitingServices {
  private final Set<String> keys = ConcurrentHashMap.newKeySet();
  private final WorkQueue<Request> queue;

  WaitingServices(WorkQueue<Request> queue) {
    this.queue = queue;
  }

  void add(String key) {
    keys.add(key);
  }

  void remove(String key) {
    keys.remove(key);
  }

  boolean contains(String key) {
    return keys.contains(key);
  }

  int size() {
    return keys.size();
  }

  /** Queues every waiting Service again. */
  void retryAll() {
    for (String key : keys) {
      int slash = key.indexOf('/');
      queue.add(new Request(key.substring(0, slash), key.substring(slash + 1)));
    }
  }
}
