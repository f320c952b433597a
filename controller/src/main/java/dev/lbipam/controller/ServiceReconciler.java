package dev.lbipam.controller;

import dev.lbipam.ipam.spi.IpamException;
import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.RejectReason;
import io.kubernetes.client.extended.controller.reconciler.Reconciler;
import io.kubernetes.client.extended.controller.reconciler.Request;
import io.kubernetes.client.extended.controller.reconciler.Result;
import io.kubernetes.client.informer.cache.Lister;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.models.V1Service;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Dispatch: reads a Service from the cache, decides ({@link ServiceDecider}), hands the decision to
 * {@link ServiceActions} or {@link Allocation}, and maps failures to a {@link Result}.
 *
 * <p>No address is written onto a Service before the API server holds a claim for it naming that
 * Service (ADR 0008): the in-memory view decides, the claim makes the decision exclusive.
 */
record ServiceReconciler(
    Lister<V1Service> services,
    ServiceDecider.Scope scope,
    Owners owners,
    ServiceActions actions,
    Allocation allocation,
    WaitingServices waiting,
    OwnWrites writes,
    Events events,
    Metrics metrics,
    LeaseFence fence) implements Reconciler {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceReconciler.class);
  /** A safety net only: the watch event of our write queues the Service again anyway. */
  static final Duration CACHE_BEHIND_RETRY = Duration.ofSeconds(1);

  @Override
  public Result reconcile(Request request) {
    long start = System.nanoTime();
    String key = request.getNamespace() + "/" + request.getName();
    MDC.put("service", key);
    try {
      fence.check();
      V1Service cached = services.namespace(request.getNamespace()).get(request.getName());
      if (cached == null) {
        actions.gone(key);
        return new Result(false);
      }
      ServiceSnapshot service = ServiceSnapshot.of(cached);
      if (writes.cacheBehind(service)) {
        LOG.debug("cache does not show our last write yet; waiting for the watch resourceVersion={}", service.resourceVersion());
        metrics.cacheBehind.inc();
        return new Result(true, CACHE_BEHIND_RETRY);
      }
      return reconcile(service);
    } catch (IpamException e) {
      LOG.warn("backend failure retryable=true error=\"{}\"", e.getMessage());
      metrics.failed(RejectReason.BACKEND_UNAVAILABLE);
      return new Result(true);
    } catch (ApiException e) {
      LOG.warn("api call failed code={} error=\"{}\"", e.getCode(), e.getMessage());
      return new Result(true);
    } catch (LeaseFence.FencedOffException e) {
      LOG.warn("not writing: {}", e.getMessage());
      return new Result(true, Duration.ofSeconds(5));
    } finally {
      metrics.reconcileSeconds.observe((System.nanoTime() - start) / 1e9);
      MDC.remove("service");
    }
  }

  Result reconcile(ServiceSnapshot service) throws ApiException, LeaseFence.FencedOffException {
    Optional<OwnerRef> replaced = owners.remember(service);
    if (replaced.isPresent()) {
      // The name now belongs to a new Service (deleted and created again): the old one's go.
      actions.released(replaced.get());
    }
    OwnerRef owner = owners.of(service);
    Decision decision = ServiceDecider.decide(service, scope);
    try {
      if (decision instanceof Decision.NotOurs notOurs) {
        return actions.notOurs(service, owner, notOurs);
      }
      if (decision instanceof Decision.Release release) {
        return actions.deleting(service, release);
      }
      if (decision instanceof Decision.Keep keep) {
        return actions.keep(service, owner, keep.addresses(), keep.shown(), false);
      }
      if (decision instanceof Decision.Adopt adopt) {
        return actions.keep(service, owner, adopt.addresses(), adopt.shown(), true);
      }
      if (decision instanceof Decision.Invalid invalid) {
        return actions.invalid(service, owner, invalid);
      }
      return allocation.allocate(service, owner);
    } catch (IpamException e) {
      if (e.retryable()) {
        throw e;
      }
      // Trying again at once would get the same answer: wait for the Service or the pools to change.
      LOG.warn("backend refused retryable=false error=\"{}\"", e.getMessage());
      metrics.failed(RejectReason.BACKEND_UNAVAILABLE);
      waiting.add(service.key());
      events.warning(service, EventReason.SyncLoadBalancerFailed, LogText.cap(e.getMessage()));
      return new Result(true, Allocation.WAIT_FOR_CHANGE);
    }
  }
}
