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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Reads a Service, projects it, decides, acts on the backend, writes the Service, and maps the
 * outcome to a {@link Result}. The pool ConfigMap arrives as a special request.
 */
public final class ServiceReconciler implements Reconciler {
  static final Request CONFIG_REQUEST = new Request("", "#pool-config");
  private static final Logger LOG = LoggerFactory.getLogger(ServiceReconciler.class);
  private static final Duration WAIT_FOR_CHANGE = Duration.ofMinutes(5);

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
      Metrics metrics) {
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
  }

  void attach(WorkQueue<Request> workQueue) {
    this.queue = workQueue;
  }

  public int waitingCount() {
    return waiting.size();
  }

  public boolean indexed() {
    return indexed;
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
    LOG.info("indexed existing services services={} holding={} released={}", live.size(), holders, released.size());
    indexed = true;
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
      if (!held.isEmpty() && !snapshot.deleting()) {
        addressed.add(owner);
        HoldOutcome outcome = backend.hold(new Holding(owner, held, snapshot.ports(), scope.handles(snapshot)));
        if (outcome instanceof HoldOutcome.Conflicted conflicted) {
          conflicted.conflicts().forEach(c -> events.warning(snapshot, EventReason.AddressInUse, c.message()));
        }
        holders++;
      }
    }
    return holders;
  }

  /**
   * Periodic work once indexed: re-assert every holding when the backend lost its state, release
   * holdings of Services that are gone (the backend applies its own grace period), and retry the
   * waiting Services when the backend comes back.
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
      List<OwnerRef> released = backend.retainOnly(live);
      if (!released.isEmpty()) {
        LOG.info("released holdings of deleted services count={}", released.size());
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
      return reconcileService(request, key);
    } catch (IpamException e) {
      LOG.warn("backend failure retryable={} error=\"{}\"", e.retryable(), e.getMessage());
      metrics.failures.labels(RejectReason.BACKEND_UNAVAILABLE.name()).inc();
      return new Result(true);
    } catch (ApiException e) {
      LOG.warn("api call failed code={} error=\"{}\"", e.getCode(), e.getMessage());
      return new Result(true);
    } finally {
      maintenanceLock.readLock().unlock();
      metrics.reconcileSeconds.observe((System.nanoTime() - start) / 1e9);
      MDC.remove("service");
    }
  }

  private Result reconcileService(Request request, String key) throws ApiException {
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
    }
    Decision decision = ServiceDecider.decide(snapshot, scope);
    if (decision instanceof Decision.NotOurs notOurs) {
      return notOurs(snapshot, owner, notOurs);
    }
    if (decision instanceof Decision.Release release) {
      return release(snapshot, owner, release);
    }
    if (decision instanceof Decision.Keep) {
      return keep(snapshot, owner, Optional.empty(), false);
    }
    if (decision instanceof Decision.Adopt adopt) {
      return keep(snapshot, owner, Optional.of(adopt.addresses()), true);
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
    if (decision.removeFinalizer()) {
      Optional<String> patch = ServicePatch.removeFinalizer(service);
      if (patch.isPresent() && !patch(service, patch.get())) {
        return new Result(true);
      }
      LOG.info("no longer handled, finalizer removed type={}", service.type());
    }
    return new Result(false);
  }

  private Result release(ServiceSnapshot service, OwnerRef owner, Decision.Release decision) throws ApiException {
    waiting.remove(service.key());
    addressed.remove(owner);
    if (decision.removeFinalizer()) {
      events.normal(service, EventReason.DeletingLoadBalancer, "Deleting load balancer");
    }
    backend.release(owner);
    requeueWaiting();
    if (decision.removeFinalizer()) {
      Optional<String> patch = ServicePatch.removeFinalizer(service);
      if (patch.isPresent() && !patch(service, patch.get())) {
        return new Result(true);
      }
      events.normal(service, EventReason.DeletedLoadBalancer, "Deleted load balancer");
      LOG.info("released addresses on deletion");
    }
    return new Result(false);
  }

  private Result keep(ServiceSnapshot service, OwnerRef owner, Optional<List<IpAddress>> adopt, boolean adopting)
      throws ApiException {
    waiting.remove(service.key());
    addressed.add(owner);
    HoldOutcome held =
        backend.hold(new Holding(owner, ServiceDecider.heldLeniently(service), service.ports(), true));
    if (held instanceof HoldOutcome.Conflicted conflicted) {
      for (HoldOutcome.Conflict conflict : conflicted.conflicts()) {
        LOG.warn("address clash address={} other={}", conflict.address(), conflict.otherOwner().key());
        events.warning(service, EventReason.AddressInUse, conflict.message());
      }
    } else if (held instanceof HoldOutcome.Unavailable unavailable) {
      events.warning(service, EventReason.BackendUnavailable, unavailable.message());
      return new Result(true);
    }
    Optional<String> patch = ServicePatch.ensure(service, adopt, Optional.empty(), adopting);
    if (patch.isPresent() && !patch(service, patch.get())) {
      return new Result(true);
    }
    return new Result(false);
  }

  private Result invalid(ServiceSnapshot service, OwnerRef owner, Decision.Invalid invalid) {
    waiting.remove(service.key());
    if (!invalid.stillHeld().isEmpty()) {
      backend.hold(new Holding(owner, invalid.stillHeld(), service.ports(), true));
    }
    LOG.warn("invalid {} value=\"{}\" problem=\"{}\"", invalid.field(), invalid.value(), invalid.problem());
    events.warning(
        service,
        EventReason.InvalidAnnotation,
        "invalid " + invalid.field() + " value \"" + invalid.value() + "\": " + invalid.problem());
    metrics.failures.labels(RejectReason.INVALID_REQUEST.name()).inc();
    return new Result(false);
  }

  private Result allocate(ServiceSnapshot service, OwnerRef owner) throws ApiException {
    if (addressed.remove(owner)) {
      LOG.info("addresses removed from the service; releasing them and allocating anew");
      backend.release(owner);
    }
    boolean firstTry = !waiting.contains(service.key());
    if (firstTry) {
      events.normal(service, EventReason.EnsuringLoadBalancer, "Ensuring load balancer");
    }
    AllocationOutcome outcome =
        backend.allocate(new AllocationRequest(owner, service.ipFamilies(), service.policy(), service.ports()));
    if (outcome instanceof AllocationOutcome.Rejected rejected) {
      waiting.add(service.key());
      metrics.failures.labels(rejected.reason().name()).inc();
      LOG.warn("allocation failed reason={} message=\"{}\"", rejected.reason(), rejected.message());
      String message = rejected.message();
      if (rejected.reason() == RejectReason.NO_POOL && !configMapPresent) {
        message = "pool ConfigMap " + configMapNamespace + "/" + configMapName + " not found: " + message;
      }
      events.warning(service, EventReason.of(rejected.reason()), message);
      return rejected.reason() == RejectReason.BACKEND_UNAVAILABLE
          ? new Result(true)
          : new Result(true, WAIT_FOR_CHANGE);
    }
    AllocationOutcome.Allocated allocated = (AllocationOutcome.Allocated) outcome;
    Optional<String> patch =
        ServicePatch.ensure(service, Optional.of(allocated.addresses()), allocated.serviceInterface(), false);
    if (patch.isPresent() && !patch(service, patch.get())) {
      // Stale: decide again from fresh state; the backend keeps the addresses for this owner.
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

  private void forget(String key) {
    waiting.remove(key);
    events.forget(key);
    OwnerRef owner = owners.remove(key);
    if (owner != null) {
      addressed.remove(owner);
      backend.release(owner);
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
    LOG.info("pool configuration applied configmap={}/{} resourceVersion={} problems={}", configMapNamespace,
        configMapName, configMap == null ? "-" : configMap.getMetadata().getResourceVersion(), problems.size());
    for (ConfigProblem problem : problems) {
      LOG.warn("invalid pool configuration configmap={}/{} key={} value=\"{}\" problem=\"{}\"",
          configMapNamespace, configMapName, problem.key(), problem.value(), problem.problem());
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
