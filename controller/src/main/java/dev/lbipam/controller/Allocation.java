package dev.lbipam.controller;

import dev.lbipam.ipam.spi.AllocationOutcome;
import dev.lbipam.ipam.spi.AllocationRequest;
import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.RejectReason;
import dev.lbipam.ipam.spi.net.IpAddress;
import io.kubernetes.client.extended.controller.reconciler.Result;
import io.kubernetes.client.openapi.ApiException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Service that needs addresses: the backend decides, the API server's claim makes the decision
 * exclusive (ADR 0008), and only then are the addresses written onto the Service. A Service that
 * gets none waits, with a Warning saying why. It acts {@code on} the same parts as {@link
 * ServiceActions}.
 */
record Allocation(
    ServiceActions on,
    LeaseFence fence,
    RestoreGate gate,
    PoolConfigWatcher poolConfig) {
  private static final Logger LOG = LoggerFactory.getLogger(Allocation.class);
  static final Duration WAIT_FOR_CHANGE = Duration.ofMinutes(5);
  static final Duration BACKEND_RETRY = Duration.ofSeconds(2);
  private static final int MAX_CLAIM_RACES = 16;

  Result allocate(ServiceSnapshot service, OwnerRef owner) throws ApiException, LeaseFence.FencedOffException {
    if (!gate.tryEnterAllocation()) {
      LOG.info("backend holdings are being restored; allocation deferred");
      return new Result(true, BACKEND_RETRY);
    }
    try {
      return allocateEntered(service, owner);
    } finally {
      gate.exitAllocation();
    }
  }

  private Result allocateEntered(ServiceSnapshot service, OwnerRef owner) throws ApiException, LeaseFence.FencedOffException {
    if (on.owners().unaddressed(owner)) {
      LOG.info("addresses removed from the service; releasing them and allocating anew");
      on.backend().release(owner);
      on.claims().releaseAll(owner.uid());
    } else {
      List<IpAddress> unwritten = on.claims().claimedFor(owner.uid());
      if (!unwritten.isEmpty()) {
        // Claimed for this Service but never written (a crash, or another replica between claim
        // and patch): the Service gets those addresses, so the claim is never orphaned.
        on.claims().dropStandIns(owner.uid(), unwritten);
        Optional<String> unrecorded = on.holdings().hold(service, owner, unwritten, true);
        if (unrecorded.isPresent()) {
          on.events().warning(service, EventReason.BackendUnavailable, unrecorded.get());
          return new Result(true);
        }
        LOG.info("reusing addresses claimed earlier addresses={}", unwritten);
      }
    }
    if (!on.waiting().contains(service.key())) {
      on.events().normal(service, EventReason.EnsuringLoadBalancer, "Ensuring load balancer");
    }
    AllocationOutcome.Allocated allocated = null;
    for (int attempt = 0; allocated == null; attempt++) {
      if (attempt == MAX_CLAIM_RACES) {
        LOG.warn("every address offered was claimed elsewhere; retrying later attempts={}", attempt);
        return new Result(true);
      }
      fence.check();
      AllocationOutcome outcome =
          on.backend().allocate(new AllocationRequest(owner, service.ipFamilies(), service.policy(), service.ports()));
      if (outcome instanceof AllocationOutcome.Rejected rejected) {
        return rejected(service, rejected);
      }
      allocated = (AllocationOutcome.Allocated) outcome;
      if (!on.claims().claimAllocated(service, owner, allocated)) {
        allocated = null;
      }
    }
    Optional<String> patch =
        ServicePatch.ensure(service, Optional.of(allocated.addresses()), allocated.serviceInterface(), false);
    if (patch.isPresent() && !on.writer().patch(service, patch.get())) {
      // Stale: decide again from fresh state; the backend and the claims keep the addresses.
      return new Result(true);
    }
    on.waiting().remove(service.key());
    on.owners().addressed(owner);
    String addresses = ServiceActions.addresses(allocated.addresses());
    on.metrics().allocations.labels(allocated.pool()).inc();
    for (String note : allocated.notes()) {
      LOG.warn("allocation note=\"{}\"", LogText.cap(note));
      on.events().warning(service, EventReason.AllocationNote, note);
    }
    LOG.info("allocated addresses={} pool={}", addresses, allocated.pool());
    on.events().normal(service, EventReason.EnsuredLoadBalancer, "Assigned " + addresses + " from " + allocated.pool());
    return new Result(false);
  }

  private Result rejected(ServiceSnapshot service, AllocationOutcome.Rejected rejected) throws ApiException {
    on.waiting().add(service.key());
    // Handled from now on, as in kube-vip-cloud-provider: the finalizer goes on while it waits.
    Optional<String> finalizer = ServicePatch.addFinalizer(service);
    if (finalizer.isPresent()) {
      on.writer().patch(service, finalizer.get());
    }
    on.metrics().failed(rejected.reason());
    LOG.warn("allocation failed reason={} message=\"{}\"", rejected.reason(), LogText.cap(rejected.message()));
    String message = rejected.message();
    if (rejected.reason() == RejectReason.NO_POOL && !poolConfig.present()) {
      message = "pool ConfigMap " + poolConfig.describe() + " not found: " + message;
    }
    on.events().warning(service, EventReason.of(rejected.reason()), LogText.cap(message));
    // A backend that is away (or restoring) is retried at a steady pace: exponential backoff per
    // Service would leave Services waiting for minutes after a short outage.
    return rejected.reason() == RejectReason.BACKEND_UNAVAILABLE
        ? new Result(true, BACKEND_RETRY)
        : new Result(true, WAIT_FOR_CHANGE);
  }
}
