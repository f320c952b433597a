package dev.lbipam.controller;

import dev.lbipam.ipam.spi.AllocationOutcome;
import dev.lbipam.ipam.spi.AllocationRequest;
import dev.lbipam.ipam.spi.ConfigProblem;
import dev.lbipam.ipam.spi.HoldOutcome;
import dev.lbipam.ipam.spi.Holding;
import dev.lbipam.ipam.spi.IpamBackend;
import dev.lbipam.ipam.spi.IpamException;
import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.RejectReason;
import dev.lbipam.ipam.spi.net.IpAddress;
import io.kubernetes.client.extended.controller.reconciler.Reconciler;
import io.kubernetes.client.extended.controller.reconciler.Request;
import io.kubernetes.client.extended.controller.reconciler.Result;
import io.kubernetes.client.extended.workqueue.WorkQueue;
import io.kubernetes.client.informer.cache.Lister;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.util.PatchUtils;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Reads a Service, projects it, decides, acts on the backend, claims the addresses in the API
 * server, writes the Service, and maps the outcome to a {@link Result}. The pool ConfigMap arrives
 * as a special request.
 *
 * <p>No address is written onto a Service before the API server holds a claim for it naming that
 * Service (ADR 0008): the in-memory view decides, the claim makes the decision exclusive.
 */
public final class ServiceReconciler implements Reconciler {
  static final Request CONFIG_REQUEST = new Request("", "#pool-config");
  private static final Logger LOG = LoggerFactory.getLogger(ServiceReconciler.class);
  private static final Duration WAIT_FOR_CHANGE = Duration.ofMinutes(5);
  private static final Duration BACKEND_RETRY = Duration.ofSeconds(2);
  private static final int MAX_CLAIM_RACES = 16;

  private final String clusterId;
  private final ServiceDecider.Scope scope;
  private final IpamBackend backend;
  private final Lister<V1Service> services;
  private final Lister<V1ConfigMap> configMaps;
  private final String configMapNamespace;
  private final String configMapName;
  private final ApiClient apiClient;
  private final CoreV1Api api;
  private final Events events;
  private final Metrics metrics;
  private final ClaimKeeper claims;
  private final LeaseFence fence;
  private final Map<String, OwnerRef> owners = new ConcurrentHashMap<>();
  private final Set<String> waiting = ConcurrentHashMap.newKeySet();
  /**
   * Owners whose Service has been seen carrying its addresses (or that we wrote them onto). If such
   * a Service later shows neither annotation nor spec address, the user removed them: kube-vip then
   * hands out a new address, so the old holding is released first.
   */
  private final Set<OwnerRef> addressed = ConcurrentHashMap.newKeySet();
  // Reconciles share the read side; maintenance takes the write side so that its view of live
  // Services cannot miss an allocation made while it runs.
  private final java.util.concurrent.locks.ReentrantReadWriteLock maintenanceLock =
      new java.util.concurrent.locks.ReentrantReadWriteLock();
  private volatile WorkQueue<Request> queue;
  private volatile boolean indexed;
  private volatile boolean backendWasUp = true;
  private volatile boolean configMapPresent = true;

  public ServiceReconciler(
      String clusterId,
      ServiceDecider.Scope scope,
      IpamBackend backend,
      Lister<V1Service> services,
      Lister<V1ConfigMap> configMaps,
      String configMapNamespace,
      String configMapName,
      ApiClient apiClient,
      Events events,
      Metrics metrics,
      AddressClaims claims,
      LeaseFence fence,
      Duration claimGrace) {
    this.clusterId = clusterId;
    this.scope = scope;
    this.backend = backend;
    this.services = services;
    this.configMaps = configMaps;
    this.configMapNamespace = configMapNamespace;
    this.configMapName = configMapName;
    this.apiClient = apiClient;
    this.api = new CoreV1Api(apiClient);
    this.events = events;
    this.metrics = metrics;
    this.claims = new ClaimKeeper(clusterId, scope, backend, services, claims, events, metrics, claimGrace);
    this.fence = fence;
  }

  void attach(WorkQueue<Request> workQueue) {
    this.queue = workQueue;
  }

  public int waitingCount() {
    return waiting.size();
  }

  /**
   * Called once both caches have synced and before any worker runs: loads the pools, then records
   * every address every Service already holds, then drops holdings of Services that are gone.
   */
  public synchronized void indexExistingServices() {
    if (indexed) {
      return;
    }
    applyPoolConfig();
    Set<OwnerRef> live = new HashSet<>();
    int holders = holdAll(live);
    List<OwnerRef> released = backend.retainOnly(live);
    claims.syncStandIns();
    int claimed = claimEveryShownAddress();
    LOG.info("indexed existing services services={} holding={} released={} claims={} claimedNow={}", live.size(),
        holders, released.size(), claims.size(), claimed);
    indexed = true;
  }

  /**
   * Start-up, before any allocation: every address a Service of ours shows gets its claim, so that
   * a cluster run by kube-vip-cloud-provider or lbipam 0.1 is protected from the first decision on.
   * Idempotent; in parallel, since a first upgrade creates one object per Service.
   */
  private int claimEveryShownAddress() {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Integer>> futures = new ArrayList<>();
      for (V1Service service : services.list()) {
        ServiceSnapshot snapshot = ServiceSnapshot.of(service);
        List<IpAddress> addresses = ServiceDecider.decide(snapshot, scope).pinned();
        if (!addresses.isEmpty()) {
          futures.add(pool.submit(() -> claims.claimShown(snapshot, addresses)));
        }
      }
      int created = 0;
      for (Future<Integer> future : futures) {
        created += future.get();
      }
      return created;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while claiming existing addresses", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("claiming existing addresses failed: " + e.getCause(), e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  /** Records every address every Service in the cache holds; fills {@code live} with all owners. */
  private int holdAll(Set<OwnerRef> live) {
    int holders = 0;
    for (V1Service service : services.list()) {
      ServiceSnapshot snapshot = ServiceSnapshot.of(service);
      OwnerRef owner = ownerOf(snapshot);
      owners.put(snapshot.key(), owner);
      live.add(owner);
      // A handled Service without annotation or spec address is about to get a new one; what its
      // status still shows is stale (kube-vip semantics: removing both means "give me a new one").
      boolean awaitingAllocation = ServiceDecider.decide(snapshot, scope) instanceof Decision.Allocate;
      List<IpAddress> held = awaitingAllocation ? List.of() : ServiceDecider.heldLeniently(snapshot);
      if (!held.isEmpty()) {
        addressed.add(owner);
        HoldOutcome outcome = backend.hold(new Holding(owner, held, snapshot.ports(), scope.handles(snapshot)));
        if (outcome instanceof HoldOutcome.Conflicted conflicted) {
          conflicted.conflicts().forEach(c -> warnBoth(snapshot, c));
        } else if (outcome instanceof HoldOutcome.Unavailable unavailable) {
          LOG.warn("backend could not record a holding service={} error=\"{}\"", snapshot.key(), unavailable.message());
        }
        holders++;
      }
    }
    return holders;
  }

  /**
   * Periodic work once indexed: re-assert every holding when the backend lost its state, release
   * holdings of Services that are gone (the backend applies its own grace period), retry the
   * waiting Services when the backend comes back, and (outside the lock) garbage-collect claims.
   */
  public void maintain() {
    if (!indexed) {
      return;
    }
    maintenanceLock.writeLock().lock();
    try {
      Set<OwnerRef> live = new HashSet<>();
      if (backend.needsRestore()) {
        int holders = holdAll(live);
        backend.restoreCompleted();
        LOG.warn("backend lost its state; re-asserted holdings services={} holding={}", live.size(), holders);
        requeueWaiting();
      } else {
        for (V1Service service : services.list()) {
          live.add(ownerOf(ServiceSnapshot.of(service)));
        }
      }
      live.addAll(claims.standInOwners());
      List<OwnerRef> released = backend.retainOnly(live);
      if (!released.isEmpty()) {
        LOG.info("released holdings of deleted services count={}", released.size());
        requeueWaiting();
      }
      if (claims.syncStandIns() > 0) {
        requeueWaiting();
      }
      boolean up = backend.health().available();
      if (up && !backendWasUp) {
        LOG.info("backend available again; retrying waiting services count={}", waiting.size());
        requeueWaiting();
      }
      backendWasUp = up;
    } catch (RuntimeException e) {
      LOG.warn("maintenance failed error=\"{}\"", e.toString());
    } finally {
      maintenanceLock.writeLock().unlock();
    }
    backend.maintain();
    if (claims.collect() > 0) {
      // The addresses of the claims just deleted are free now, not one round later.
      maintenanceLock.writeLock().lock();
      try {
        if (claims.syncStandIns() > 0) {
          requeueWaiting();
        }
      } finally {
        maintenanceLock.writeLock().unlock();
      }
    }
    metrics.claims.set(claims.size());
  }

  @Override
  public Result reconcile(Request request) {
    if (request.equals(CONFIG_REQUEST)) {
      applyPoolConfig();
      requeueWaiting();
      return new Result(false);
    }
    long start = System.nanoTime();
    String key = request.getNamespace() + "/" + request.getName();
    MDC.put("service", key);
    maintenanceLock.readLock().lock();
    try {
      fence.check();
      return reconcileService(request, key);
    } catch (IpamException e) {
      LOG.warn("backend failure retryable={} error=\"{}\"", e.retryable(), e.getMessage());
      metrics.failed(RejectReason.BACKEND_UNAVAILABLE);
      return new Result(true);
    } catch (ApiException e) {
      LOG.warn("api call failed code={} error=\"{}\"", e.getCode(), e.getMessage());
      return new Result(true);
    } catch (LeaseFence.FencedOffException e) {
      LOG.warn("not writing: {}", e.getMessage());
      return new Result(true, Duration.ofSeconds(5));
    } finally {
      maintenanceLock.readLock().unlock();
      metrics.reconcileSeconds.observe((System.nanoTime() - start) / 1e9);
      MDC.remove("service");
    }
  }

  private Result reconcileService(Request request, String key) throws ApiException, LeaseFence.FencedOffException {
    V1Service service = services.namespace(request.getNamespace()).get(request.getName());
    if (service == null) {
      forget(key);
      return new Result(false);
    }
    ServiceSnapshot snapshot = ServiceSnapshot.of(service);
    OwnerRef owner = ownerOf(snapshot);
    OwnerRef previous = owners.put(key, owner);
    if (previous != null && !previous.equals(owner)) {
      addressed.remove(previous);
      backend.release(previous);
      claims.releaseAll(previous.uid());
    }
    Decision decision = ServiceDecider.decide(snapshot, scope);
    if (decision instanceof Decision.NotOurs notOurs) {
      return notOurs(snapshot, owner, notOurs);
    }
    if (decision instanceof Decision.Release release) {
      return release(snapshot, owner, release);
    }
    if (decision instanceof Decision.Keep keep) {
      return keep(snapshot, owner, keep.addresses(), Optional.empty(), false);
    }
    if (decision instanceof Decision.Adopt adopt) {
      return keep(snapshot, owner, adopt.addresses(), Optional.of(adopt.addresses()), true);
    }
    if (decision instanceof Decision.Invalid invalid) {
      return invalid(snapshot, owner, invalid);
    }
    return allocate(snapshot, owner);
  }

  private Result notOurs(ServiceSnapshot service, OwnerRef owner, Decision.NotOurs decision) throws ApiException {
    waiting.remove(service.key());
    if (decision.held().isEmpty()) {
      addressed.remove(owner);
      backend.release(owner);
    } else {
      // If it later becomes ours without an annotation, these are not its addresses to keep.
      addressed.add(owner);
      backend.hold(new Holding(owner, decision.held(), service.ports(), false));
    }
    // No longer ours: what it still shows counts as used, but it holds no claim of ours.
    claims.releaseAll(owner.uid());
    if (decision.removeFinalizer()) {
      Optional<String> patch = ServicePatch.removeFinalizer(service);
      if (patch.isPresent() && !patch(service, patch.get())) {
        return new Result(true);
      }
      LOG.info("no longer handled, finalizer removed type={}", service.type());
    }
    return new Result(false);
  }

  /**
   * Deletion: our finalizer goes; the addresses stay held (and claimed) for as long as the Service
   * exists, since it shows them until then (other finalizers may keep it for a while). They are
   * released when the Service is gone ({@link #forget}).
   */
  private Result release(ServiceSnapshot service, OwnerRef owner, Decision.Release decision) throws ApiException {
    waiting.remove(service.key());
    if (decision.removeFinalizer()) {
      events.normal(service, EventReason.DeletingLoadBalancer, "Deleting load balancer");
      Optional<String> patch = ServicePatch.removeFinalizer(service);
      if (patch.isPresent() && !patch(service, patch.get())) {
        return new Result(true);
      }
      events.normal(service, EventReason.DeletedLoadBalancer, "Deleted load balancer");
      LOG.info("finalizer removed; the addresses are released once the service is gone");
    }
    return new Result(false);
  }

  private Result keep(
      ServiceSnapshot service, OwnerRef owner, List<IpAddress> named, Optional<List<IpAddress>> adopt, boolean adopting)
      throws ApiException, LeaseFence.FencedOffException {
    waiting.remove(service.key());
    addressed.add(owner);
    claims.dropStandIns(owner.uid(), named);
    HoldOutcome held =
        backend.hold(new Holding(owner, ServiceDecider.heldLeniently(service), service.ports(), true));
    if (held instanceof HoldOutcome.Conflicted conflicted) {
      for (HoldOutcome.Conflict conflict : conflicted.conflicts()) {
        LOG.warn("address clash address={} other={}", conflict.address(), conflict.otherOwner().key());
        warnBoth(service, conflict);
      }
    } else if (held instanceof HoldOutcome.Unavailable unavailable) {
      events.warning(service, EventReason.BackendUnavailable, unavailable.message());
      return new Result(true);
    }
    claims.claimShown(service, named);
    // First sight of a Service that names its own address: kube-vip-cloud-provider reports these too.
    boolean firstSight = !service.hasFinalizer();
    if (firstSight) {
      events.normal(service, EventReason.EnsuringLoadBalancer, "Ensuring load balancer");
    }
    Optional<String> patch = ServicePatch.ensure(service, adopt, Optional.empty(), adopting);
    if (patch.isPresent() && !patch(service, patch.get())) {
      return new Result(true);
    }
    if (firstSight) {
      String addresses = named.stream().map(IpAddress::toString).collect(java.util.stream.Collectors.joining(","));
      events.normal(service, EventReason.EnsuredLoadBalancer,
          "Using " + addresses + (adopting ? " from spec.loadBalancerIP" : " from the annotation " + KubeVipNames.ADDRESSES_ANNOTATION));
    }
    return new Result(false);
  }

  /** Both sides of a clash hear of it, when the other side is a Service in this cluster. */
  private void warnBoth(ServiceSnapshot service, HoldOutcome.Conflict conflict) {
    events.warning(service, EventReason.AddressInUse, conflict.message());
    OwnerRef other = conflict.otherOwner();
    if (!other.clusterId().equals(clusterId) || ClaimKeeper.isStandIn(other)) {
      return;
    }
    V1Service otherService = services.namespace(other.namespace()).get(other.name());
    if (otherService != null) {
      events.warning(ServiceSnapshot.of(otherService), EventReason.AddressInUse,
          "address " + conflict.address() + " is also held by Service " + service.key() + " and their ports clash");
    }
  }

  private Result invalid(ServiceSnapshot service, OwnerRef owner, Decision.Invalid invalid) {
    waiting.remove(service.key());
    if (!invalid.stillHeld().isEmpty()) {
      backend.hold(new Holding(owner, invalid.stillHeld(), service.ports(), true));
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

  private Result allocate(ServiceSnapshot service, OwnerRef owner) throws ApiException, LeaseFence.FencedOffException {
    if (addressed.remove(owner)) {
      LOG.info("addresses removed from the service; releasing them and allocating anew");
      backend.release(owner);
      claims.releaseAll(owner.uid());
    } else {
      List<IpAddress> unwritten = claims.claimedFor(owner.uid());
      if (!unwritten.isEmpty()) {
        // Claimed for this Service but never written (a crash, or another replica between claim
        // and patch): the Service gets those addresses, so the claim is never orphaned.
        claims.dropStandIns(owner.uid(), unwritten);
        HoldOutcome held = backend.hold(new Holding(owner, unwritten, service.ports(), true));
        if (held instanceof HoldOutcome.Unavailable unavailable) {
          events.warning(service, EventReason.BackendUnavailable, unavailable.message());
          return new Result(true);
        }
        LOG.info("reusing addresses claimed earlier addresses={}", unwritten);
      }
    }
    boolean firstTry = !waiting.contains(service.key());
    if (firstTry) {
      events.normal(service, EventReason.EnsuringLoadBalancer, "Ensuring load balancer");
    }
    AllocationOutcome.Allocated allocated = null;
    for (int attempt = 0; allocated == null; attempt++) {
      if (attempt == MAX_CLAIM_RACES) {
        LOG.warn("every address offered was claimed elsewhere; retrying later attempts={}", attempt);
        return new Result(true);
      }
      fence.check();
      AllocationOutcome outcome =
          backend.allocate(new AllocationRequest(owner, service.ipFamilies(), service.policy(), service.ports()));
      if (outcome instanceof AllocationOutcome.Rejected rejected) {
        return rejected(service, rejected);
      }
      allocated = (AllocationOutcome.Allocated) outcome;
      if (!claims.claimAllocated(service, owner, allocated)) {
        allocated = null;
      }
    }
    Optional<String> patch =
        ServicePatch.ensure(service, Optional.of(allocated.addresses()), allocated.serviceInterface(), false);
    if (patch.isPresent() && !patch(service, patch.get())) {
      // Stale: decide again from fresh state; the backend and the claims keep the addresses.
      return new Result(true);
    }
    waiting.remove(service.key());
    addressed.add(owner);
    String addresses = allocated.addresses().stream().map(IpAddress::toString).reduce((a, b) -> a + "," + b).orElse("");
    metrics.allocations.labels(allocated.pool()).inc();
    allocated.notes().forEach(note -> LOG.warn("allocation note=\"{}\"", note));
    LOG.info("allocated addresses={} pool={}", addresses, allocated.pool());
    events.normal(service, EventReason.EnsuredLoadBalancer, "Assigned " + addresses + " from " + allocated.pool());
    return new Result(false);
  }

  private Result rejected(ServiceSnapshot service, AllocationOutcome.Rejected rejected) throws ApiException {
    waiting.add(service.key());
    // Handled from now on, as in kube-vip-cloud-provider: the finalizer goes on while it waits.
    Optional<String> finalizer = ServicePatch.addFinalizer(service);
    if (finalizer.isPresent()) {
      patch(service, finalizer.get());
    }
    metrics.failed(rejected.reason());
    LOG.warn("allocation failed reason={} message=\"{}\"", rejected.reason(), LogText.cap(rejected.message()));
    String message = rejected.message();
    if (rejected.reason() == RejectReason.NO_POOL && !configMapPresent) {
      message = "pool ConfigMap " + configMapNamespace + "/" + configMapName + " not found: " + message;
    }
    events.warning(service, EventReason.of(rejected.reason()), LogText.cap(message));
    // A backend that is away (or restoring) is retried at a steady pace: exponential backoff per
    // Service would leave Services waiting for minutes after a short outage.
    return rejected.reason() == RejectReason.BACKEND_UNAVAILABLE
        ? new Result(true, BACKEND_RETRY)
        : new Result(true, WAIT_FOR_CHANGE);
  }

  /** Applies a merge patch; false on 409 (stale, requeue). A 404 means the Service is gone. */
  private boolean patch(ServiceSnapshot service, String json) throws ApiException {
    try {
      PatchUtils.patch(
          V1Service.class,
          () ->
              api.patchNamespacedService(service.name(), service.namespace(), new V1Patch(json))
                  .fieldManager(KubeVipNames.FIELD_MANAGER)
                  .buildCall(null),
          V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH,
          apiClient);
      return true;
    } catch (ApiException e) {
      if (e.getCode() == 409) {
        LOG.debug("stale resourceVersion={}, will decide again", service.resourceVersion());
        return false;
      }
      if (e.getCode() == 404) {
        return true;
      }
      throw e;
    }
  }

  private void forget(String key) throws ApiException {
    waiting.remove(key);
    events.forget(key);
    OwnerRef owner = owners.get(key);
    if (owner != null) {
      addressed.remove(owner);
      backend.release(owner);
      claims.releaseAll(owner.uid());
      owners.remove(key, owner);
      requeueWaiting();
    }
  }

  private void applyPoolConfig() {
    V1ConfigMap configMap = configMaps.namespace(configMapNamespace).get(configMapName);
    Optional<Map<String, String>> data =
        Optional.ofNullable(configMap).map(cm -> cm.getData() == null ? Map.<String, String>of() : cm.getData());
    configMapPresent = data.isPresent();
    if (data.isEmpty()) {
      LOG.warn("pool configmap missing namespace={} name={}", configMapNamespace, configMapName);
    }
    List<ConfigProblem> problems = backend.configure(data);
    metrics.configProblems(problems);
    LOG.info("pool configuration applied configmap={}/{} resourceVersion={} problems={}", configMapNamespace,
        configMapName, configMap == null ? "-" : configMap.getMetadata().getResourceVersion(), problems.size());
    for (ConfigProblem problem : problems) {
      LOG.warn("invalid pool configuration configmap={}/{} key={} value=\"{}\" problem=\"{}\"",
          configMapNamespace, configMapName, LogText.cap(problem.key()), LogText.cap(problem.value()),
          LogText.cap(problem.problem()));
    }
  }

  private void requeueWaiting() {
    WorkQueue<Request> q = queue;
    if (q == null) {
      return;
    }
    for (String key : waiting) {
      int slash = key.indexOf('/');
      q.add(new Request(key.substring(0, slash), key.substring(slash + 1)));
    }
  }

  private OwnerRef ownerOf(ServiceSnapshot service) {
    return new OwnerRef(clusterId, service.namespace(), service.name(), service.uid());
  }
}
