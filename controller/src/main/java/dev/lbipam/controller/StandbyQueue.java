package dev.lbipam.controller;

import io.kubernetes.client.extended.controller.reconciler.Request;
import io.kubernetes.client.extended.workqueue.WorkQueue;
import io.kubernetes.client.openapi.models.V1Service;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * While a replica stands by, its work queue holds only Services that need something done (no
 * address yet, being deleted, a changed request); Services that keep what they show are fed in at
 * take-over, behind those and behind what needs work later. A new leader so serves waiting
 * Services first instead of working through every key its informers saw at start (ADR 0013).
 */
record StandbyQueue(BooleanSupplier leading, ServiceDecider.Scope scope) {
  /** Whether a watch event queues its Service now; everything else waits for {@link #takeOver}. */
  boolean queueNow(V1Service service) {
    return leading.getAsBoolean() || !settled(ServiceSnapshot.of(service), scope);
  }

  /** Ours, keeps the addresses it names, and already carries our label and finalizer. */
  static boolean settled(ServiceSnapshot service, ServiceDecider.Scope scope) {
    return ServiceDecider.decide(service, scope) instanceof Decision.Keep
        && service.hasFinalizer()
        && ServicePatch.ensure(service, Optional.empty(), Optional.empty(), false).isEmpty();
  }

  /** While the queue holds fewer than this, the take-over feed adds the next {@value #FEED_BATCH}. */
  static final int FEED_LOW_WATER = 64;
  static final int FEED_BATCH = 64;

  /**
   * Queues every cached Service once {@link #leading} is true, on a thread of its own and only while
   * the queue is short: those already queued keep their place, and a Service that needs work after
   * the take-over waits behind at most {@value #FEED_LOW_WATER} + {@value #FEED_BATCH} settled ones,
   * not behind the whole cluster (54,000 keys took 2 s to work off at 50,000 Services).
   */
  static Thread takeOver(List<V1Service> cached, WorkQueue<Request> queue) {
    Thread feed = new Thread(() -> feed(cached, queue), "take-over-feed");
    feed.setDaemon(true);
    feed.start();
    return feed;
  }

  private static void feed(List<V1Service> cached, WorkQueue<Request> queue) {
    int next = 0;
    while (next < cached.size() && !queue.isShuttingDown()) {
      if (queue.length() >= FEED_LOW_WATER) {
        try {
          Thread.sleep(1);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        continue;
      }
      int end = Math.min(cached.size(), next + FEED_BATCH);
      for (; next < end; next++) {
        V1Service service = cached.get(next);
        queue.add(new Request(service.getMetadata().getNamespace(), service.getMetadata().getName()));
      }
    }
  }
}
