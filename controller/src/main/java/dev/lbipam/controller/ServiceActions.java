package dev.lbipam.controller;

import dev.lbipam.ipam.spi.IpamBackend;
import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.RejectReason;
import dev.lbipam.ipam.spi.net.IpAddress;
import io.kubernetes.client.extended.controller.reconciler.Result;
import io.kubernetes.client.openapi.ApiException;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out the decisions that need no new address: a Service that is not ours, one being
 * deleted, one that names its addresses (kept or adopted from the spec), and a malformed one; and
 * the release of a Service that is gone.
 */
record ServiceActions(
    IpamBackend backend,
    Holdings holdings,
    Owners owners,
    ClaimKeeper claims,
    WaitingServices waiting,
    OwnWrites writer,
    Events events,
    Metrics metrics) {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceActions.class);

  Result notOurs(ServiceSnapshot service, OwnerRef owner, Decision.NotOurs decision) throws ApiException {
    waiting.remove(service.key());
    if (decision.shown().isEmpty()) {
      owners.unaddressed(owner);
      backend.release(owner);
    } else {
      // If it later becomes ours without an annotation, these are not its addresses to keep.
      owners.addressed(owner);
      if (holdings.hold(service, owner, decision.shown(), false).isPresent()) {
        return new Result(true);
      }
    }
    // No longer ours: what it still shows counts as used, but it holds no claim of ours.
    claims.releaseAll(owner.uid());
    if (decision.removeFinalizer()) {
      Optional<String> patch = ServicePatch.removeFinalizer(service);
      if (patch.isPresent() && !writer.patch(service, patch.get())) {
        return new Result(true);
      }
      LOG.info("no longer handled, finalizer removed type={}", service.type());
    }
    return new Result(false);
  }

  /**
   * Deletion: our finalizer goes; the addresses stay held (and claimed) for as long as the Service
   * exists, since it shows them until then (other finalizers may keep it for a while). They are
   * released when the Service is gone ({@link #gone}).
   */
  Result deleting(ServiceSnapshot service, Decision.Release decision) throws ApiException {
    waiting.remove(service.key());
    if (decision.removeFinalizer()) {
      events.normal(service, EventReason.DeletingLoadBalancer, "Deleting load balancer");
      Optional<String> patch = ServicePatch.removeFinalizer(service);
      if (patch.isPresent() && !writer.patch(service, patch.get())) {
        return new Result(true);
      }
      events.normal(service, EventReason.DeletedLoadBalancer, "Deleted load balancer");
      LOG.info("finalizer removed; the addresses are released once the service is gone");
    }
    return new Result(false);
  }

  /** The Service is gone from the cache: its addresses and claims are free. */
  void gone(String key) throws ApiException {
    waiting.remove(key);
    writer.forget(key);
    events.forget(key);
    Optional<OwnerRef> owner = owners.forget(key);
    if (owner.isPresent()) {
      released(owner.get());
      waiting.retryAll();
    }
  }

  /** Frees what an owner that no longer exists held, in the backend and in the API server. */
  void released(OwnerRef owner) throws ApiException {
    backend.release(owner);
    claims.releaseAll(owner.uid());
  }

  /**
   * A Service that names its addresses keeps them: held, claimed, and (for {@code adopt}, the spec
   * field alone) copied into the annotation; label and finalizer ensured.
   */
  Result keep(ServiceSnapshot service, OwnerRef owner, List<IpAddress> named, List<IpAddress> shown, boolean adopt)
      throws ApiException {
    waiting.remove(service.key());
    owners.addressed(owner);
    claims.dropStandIns(owner.uid(), named);
    Optional<String> unrecorded = holdings.hold(service, owner, shown, true);
    if (unrecorded.isPresent()) {
      events.warning(service, EventReason.BackendUnavailable, unrecorded.get());
      return new Result(true);
    }
    claims.claimShown(service, named);
    // First sight of a Service that names its own address: kube-vip-cloud-provider reports these too.
    boolean firstSight = !service.hasFinalizer();
    if (firstSight) {
      events.normal(service, EventReason.EnsuringLoadBalancer, "Ensuring load balancer");
    }
    Optional<String> patch = ServicePatch.ensure(service, adopt ? Optional.of(named) : Optional.empty(), Optional.empty(), adopt);
    if (patch.isPresent() && !writer.patch(service, patch.get())) {
      return new Result(true);
    }
    if (firstSight) {
      events.normal(service, EventReason.EnsuredLoadBalancer,
          "Using " + addresses(named) + (adopt ? " from spec.loadBalancerIP" : " from the annotation " + KubeVipNames.ADDRESSES_ANNOTATION));
    }
    return new Result(false);
  }

  Result invalid(ServiceSnapshot service, OwnerRef owner, Decision.Invalid invalid) {
    waiting.remove(service.key());
    if (!invalid.shown().isEmpty() && holdings.hold(service, owner, invalid.shown(), true).isPresent()) {
      return new Result(true);
    }
    String value = LogText.cap(invalid.value());
    LOG.warn("invalid {} value=\"{}\" problem=\"{}\"", invalid.field(), value, LogText.cap(invalid.problem()));
    events.warning(
        service,
        EventReason.InvalidAnnotation,
        "invalid " + invalid.field() + " value \"" + value + "\": " + LogText.cap(invalid.problem()));
    metrics.failed(RejectReason.INVALID_REQUEST);
    return new Result(false);
  }

  static String addresses(List<IpAddress> addresses) {
    return addresses.stream().map(IpAddress::toString).collect(Collectors.joining(","));
  }
}
