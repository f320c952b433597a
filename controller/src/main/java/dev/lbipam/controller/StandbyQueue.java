package dev.lbipam.controller;

import io.kubernetes.client.extended.controller.reconciler.Request;
import io.kubernetes.client.extended.workqueue.WorkQueue;
import io.kubernetes.client.openapi.models.V1Service;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * While a replica stands by, its work queue holds only Services that need something done (no
 * address yet, being deleted, a changed request); Services that keep what they show are queued at
 * take-over, behind those. A new leader so serves waiting Services first instead of working
 * through every key its informers saw at start (ADR 0013).
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

  /** Queues every cached Service once {@link #leading} is true; those already queued keep their place. */
  static int takeOver(List<V1Service> cached, WorkQueue<Request> queue) {
    for (V1Service service : cached) {
      queue.add(new Request(service.getMetadata().getNamespace(), service.getMetadata().getName()));
    }
    return cached.size();
  }
}
