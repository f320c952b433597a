package dev.lbipam.controller;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lbipam.ipam.spi.AllocationOutcome;
import dev.lbipam.ipam.spi.AllocationRequest;
import dev.lbipam.ipam.spi.BackendContext;
import dev.lbipam.ipam.spi.BackendHealth;
import dev.lbipam.ipam.spi.ConfigProblem;
import dev.lbipam.ipam.spi.HoldOutcome;
import dev.lbipam.ipam.spi.Holding;
import dev.lbipam.ipam.spi.IpamBackend;
import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.RejectReason;
import io.kubernetes.client.common.KubernetesObject;
import io.kubernetes.client.extended.controller.reconciler.Request;
import io.kubernetes.client.extended.controller.reconciler.Result;
import io.kubernetes.client.extended.event.EventType;
import io.kubernetes.client.extended.event.legacy.EventRecorder;
import io.kubernetes.client.extended.workqueue.DefaultWorkQueue;
import io.kubernetes.client.informer.cache.Cache;
import io.kubernetes.client.informer.cache.Lister;
import io.kubernetes.client.openapi.JSON;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1ObjectReference;
import io.kubernetes.client.openapi.models.V1Service;
import io.prometheus.client.CollectorRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The controller loop in-process: the real parts ({@link ControllerLoop}, the configmap backend
 * found through the SPI) over an in-memory Service cache, driven synchronously. Writes are applied
 * as JSON merge patches with the API server's resourceVersion precondition, and recorded; Events
 * are recorded. No API server, no threads, milliseconds per case.
 */
final class LoopHarness {
  static final String CLUSTER = "harness";
  static final String POOL_NAMESPACE = "kube-system";
  static final String POOL_NAME = "kubevip";

  /** One Event as recorded: {@code Warning/PoolExhausted: message}. */
  record RecordedEvent(String service, String type, String reason, String message) {
    @Override
    public String toString() {
      return type + "/" + reason + ": " + message;
    }
  }

  final Cache<V1Service> serviceCache = new Cache<>();
  final Cache<V1ConfigMap> configMapCache = new Cache<>();
  final SwitchableBackend backend;
  final List<RecordedEvent> events = new ArrayList<>();
  final List<String> patches = new ArrayList<>();
  final DefaultWorkQueue<Request> queue = new DefaultWorkQueue<>();
  final ControllerLoop loop;
  private final AtomicInteger resourceVersion = new AtomicInteger(100);
  private final AtomicInteger uids = new AtomicInteger();
  private int conflictsToInject;
  /** While set, the controller's own writes reach the cache only on {@link #deliverWatch()}. */
  boolean watchLags;
  private final List<V1Service> undelivered = new ArrayList<>();

  LoopHarness(Map<String, String> pools, ServiceDecider.Scope scope) {
    backend = new SwitchableBackend(
        BackendLoader.create("configmap", new BackendContext(CLUSTER, Map.of(), name -> Optional.empty())));
    setPools(pools, false);
    WaitingServices waiting = new WaitingServices(queue);
    Metrics metrics = new Metrics(new CollectorRegistry(), "configmap", backend, waiting::size);
    loop = new ControllerLoop(new ControllerLoop.Inputs(CLUSTER, scope, backend, new Lister<>(serviceCache),
        new Lister<>(configMapCache), POOL_NAMESPACE, POOL_NAME, this::write, new Events(new Recorder(events)), metrics,
        AddressClaims.disabled(), LeaseFence.open(), Duration.ofSeconds(60), waiting));
    loop.startup.run();
  }

  LoopHarness(Map<String, String> pools) {
    this(pools, new ServiceDecider.Scope(false, Settings.DEFAULT_CLASS));
  }

  // ---------------------------------------------------------------------------------------------
  // What the informers would deliver

  /** Creates or replaces a Service as a user would (a new one gets a uid), then queues it. */
  V1Service apply(V1Service service) {
    V1ObjectMeta meta = service.getMetadata();
    V1Service existing = get(meta.getNamespace(), meta.getName()).orElse(null);
    meta.uid(existing != null ? existing.getMetadata().getUid() : "uid-" + uids.incrementAndGet());
    meta.resourceVersion(Integer.toString(resourceVersion.incrementAndGet()));
    if (existing != null && meta.getFinalizers() == null) {
      meta.finalizers(existing.getMetadata().getFinalizers());
    }
    store(service);
    return service;
  }

  /** Deletes a Service: with a finalizer it only gets a deletionTimestamp, as in the API server. */
  void delete(String namespace, String name) {
    V1Service service = get(namespace, name).orElseThrow();
    List<String> finalizers = service.getMetadata().getFinalizers();
    if (finalizers == null || finalizers.isEmpty()) {
      serviceCache.delete(service);
    } else {
      service.getMetadata().deletionTimestamp(java.time.OffsetDateTime.now());
      service.getMetadata().resourceVersion(Integer.toString(resourceVersion.incrementAndGet()));
      serviceCache.update(service);
    }
    queue.add(new Request(namespace, name));
  }

  void setPools(Map<String, String> pools) {
    setPools(pools, true);
  }

  private void setPools(Map<String, String> pools, boolean notify) {
    V1ConfigMap configMap = new V1ConfigMap()
        .metadata(new V1ObjectMeta().namespace(POOL_NAMESPACE).name(POOL_NAME)
            .resourceVersion(Integer.toString(resourceVersion.incrementAndGet())))
        .data(pools);
    configMapCache.update(configMap);
    if (notify) {
      loop.poolConfig.reconcile(new Request(POOL_NAMESPACE, POOL_NAME));
    }
  }

  /** The watch events of the controller's writes held back so far: now they reach the cache. */
  void deliverWatch() {
    List<V1Service> pending = List.copyOf(undelivered);
    undelivered.clear();
    pending.forEach(this::store);
  }

  /** The next {@code count} patches fail with 409, as when the Service changed meanwhile. */
  void conflictOnNextPatches(int count) {
    conflictsToInject = count;
  }

  // ---------------------------------------------------------------------------------------------
  // Driving the loop

  /**
   * Reconciles queued Services until the queue is empty, as the workers would. A requeue without a
   * delay (an error, a conflict) runs again at once; one with a delay (a Service left waiting) is
   * parked in {@link #parked}. At most {@code rounds} reconciles, so a loop that never settles fails.
   */
  int settle(int rounds) {
    int done = 0;
    while (queue.length() > 0) {
      if (done++ >= rounds) {
        throw new AssertionError("the loop did not settle within " + rounds + " reconciles; patches: " + patches);
      }
      Request request;
      try {
        request = queue.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
      queue.done(request);
      Result result = loop.services.reconcile(request);
      if (result.isRequeue()) {
        Duration after = result.getRequeueAfter();
        if (after == null || after.isZero()) {
          queue.add(request);
        } else {
          parked.add(request.getNamespace() + "/" + request.getName() + " after " + after);
        }
      }
    }
    return done;
  }

  /** Services left to come back later, with the delay they asked for. */
  final List<String> parked = new ArrayList<>();

  int settle() {
    return settle(50);
  }

  /** One reconcile of one Service; its requeue is reported, not run. */
  Result reconcile(String namespace, String name) {
    return loop.services.reconcile(new Request(namespace, name));
  }

  // ---------------------------------------------------------------------------------------------
  // What to look at

  Optional<V1Service> get(String namespace, String name) {
    return Optional.ofNullable(serviceCache.getByKey(namespace + "/" + name));
  }

  Optional<String> annotation(String namespace, String name) {
    return get(namespace, name).map(V1Service::getMetadata).map(V1ObjectMeta::getAnnotations)
        .map(a -> a.get(KubeVipNames.ADDRESSES_ANNOTATION));
  }

  List<String> eventsOf(String namespace, String name) {
    return events.stream().filter(e -> e.service().equals(namespace + "/" + name)).map(RecordedEvent::toString).toList();
  }

  // ---------------------------------------------------------------------------------------------

  private void store(V1Service service) {
    serviceCache.update(service);
    queue.add(new Request(service.getMetadata().getNamespace(), service.getMetadata().getName()));
  }

  /** What the API server holds: the cache, plus the writes whose watch events are held back. */
  Optional<V1Service> server(String namespace, String name) {
    String key = namespace + "/" + name;
    for (int i = undelivered.size() - 1; i >= 0; i--) {
      V1ObjectMeta meta = undelivered.get(i).getMetadata();
      if ((meta.getNamespace() + "/" + meta.getName()).equals(key)) {
        return Optional.of(undelivered.get(i));
      }
    }
    return get(namespace, name);
  }

  /** The API server's side of a merge patch: precondition, merge, new resourceVersion, watch event. */
  private ServiceWriter.Written write(ServiceSnapshot snapshot, String mergePatch) {
    patches.add(snapshot.key() + " " + mergePatch);
    if (conflictsToInject > 0) {
      conflictsToInject--;
      return new ServiceWriter.Written.Conflict();
    }
    Optional<V1Service> current = server(snapshot.namespace(), snapshot.name());
    if (current.isEmpty()) {
      return new ServiceWriter.Written.Gone();
    }
    JsonObject patch = JsonParser.parseString(mergePatch).getAsJsonObject();
    JsonElement precondition = patch.has("metadata") ? patch.getAsJsonObject("metadata").get("resourceVersion") : null;
    if (precondition != null && !precondition.getAsString().equals(current.get().getMetadata().getResourceVersion())) {
      return new ServiceWriter.Written.Conflict();
    }
    JSON json = new JSON();
    JsonElement merged = merge(JsonParser.parseString(json.serialize(current.get())), patch);
    V1Service updated = json.deserialize(merged.toString(), V1Service.class);
    updated.getMetadata().resourceVersion(Integer.toString(resourceVersion.incrementAndGet()));
    String version = updated.getMetadata().getResourceVersion();
    if (updated.getMetadata().getDeletionTimestamp() != null
        && (updated.getMetadata().getFinalizers() == null || updated.getMetadata().getFinalizers().isEmpty())) {
      serviceCache.delete(updated);
      queue.add(new Request(snapshot.namespace(), snapshot.name()));
      return new ServiceWriter.Written.Patched(version);
    }
    if (watchLags) {
      undelivered.add(updated);
    } else {
      store(updated);
    }
    return new ServiceWriter.Written.Patched(version);
  }

  /** RFC 7386 JSON merge patch. */
  static JsonElement merge(JsonElement target, JsonElement patch) {
    if (!patch.isJsonObject()) {
      return patch;
    }
    JsonObject result = target != null && target.isJsonObject() ? target.getAsJsonObject().deepCopy() : new JsonObject();
    for (Map.Entry<String, JsonElement> entry : patch.getAsJsonObject().entrySet()) {
      if (entry.getValue() == null || entry.getValue() instanceof JsonNull) {
        result.remove(entry.getKey());
      } else {
        result.add(entry.getKey(), merge(result.get(entry.getKey()), entry.getValue()));
      }
    }
    return result;
  }

  /** Records the Events written by reference (as {@link Events} writes them) into a list. */
  record Recorder(List<RecordedEvent> events) implements EventRecorder {
    @Override
    public void event(KubernetesObject object, EventType type, String reason, String format, String... args) {
      throw new UnsupportedOperationException("Events name their Service by reference");
    }

    @Override
    public void event(KubernetesObject object, Map<String, String> annotations, EventType type, String reason,
        String format, String... args) {
      throw new UnsupportedOperationException("Events name their Service by reference");
    }

    @Override
    public void event(V1ObjectReference ref, EventType type, String reason, String format, String... args) {
      events.add(new RecordedEvent(ref.getNamespace() + "/" + ref.getName(), type.name(), reason,
          String.format(format, (Object[]) args)));
    }

    @Override
    public void event(V1ObjectReference ref, Map<String, String> annotations, EventType type, String reason,
        String format, String... args) {
      event(ref, type, reason, format, args);
    }
  }

  /** The real backend, which can be made unavailable (as a remote one would be). */
  static final class SwitchableBackend implements IpamBackend {
    private final IpamBackend real;
    volatile boolean down;
    /** Every release asked of the backend, by owner key. */
    final List<String> releases = new ArrayList<>();
    /** Every hold asked of the backend: owner key and addresses. */
    final List<String> holds = new ArrayList<>();

    SwitchableBackend(IpamBackend real) {
      this.real = real;
    }

    @Override
    public List<ConfigProblem> configure(Optional<Map<String, String>> poolConfig) {
      return real.configure(poolConfig);
    }

    @Override
    public HoldOutcome hold(Holding holding) {
      holds.add(holding.owner().key() + " " + holding.addresses());
      return down && holding.managed() ? new HoldOutcome.Unavailable("backend down (harness)") : real.hold(holding);
    }

    @Override
    public AllocationOutcome allocate(AllocationRequest request) {
      return down
          ? new AllocationOutcome.Rejected(RejectReason.BACKEND_UNAVAILABLE, "backend down (harness)")
          : real.allocate(request);
    }

    @Override
    public void release(OwnerRef owner) {
      releases.add(owner.key());
      real.release(owner);
    }

    @Override
    public List<Holding> holdings() {
      return real.holdings();
    }

    @Override
    public BackendHealth health() {
      return down ? BackendHealth.down("backend down (harness)") : real.health();
    }

    /** While set, {@link #maintain} fails as a remote backend's call can. */
    volatile boolean maintainFails;

    @Override
    public void maintain() {
      if (maintainFails) {
        throw new dev.lbipam.ipam.spi.IpamException("backend maintenance failed (harness)", true);
      }
      real.maintain();
    }

    @Override
    public void close() {
      real.close();
    }
  }
}
