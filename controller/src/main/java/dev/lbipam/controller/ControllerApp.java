package dev.lbipam.controller;

import dev.lbipam.ipam.spi.BackendContext;
import dev.lbipam.ipam.spi.IpamBackend;
import io.kubernetes.client.extended.controller.Controller;
import io.kubernetes.client.extended.controller.ControllerManager;
import io.kubernetes.client.extended.controller.DefaultController;
import io.kubernetes.client.extended.controller.builder.ControllerBuilder;
import io.kubernetes.client.extended.controller.reconciler.Request;
import io.kubernetes.client.extended.event.legacy.EventRecorder;
import io.kubernetes.client.extended.event.legacy.LegacyEventBroadcaster;
import io.kubernetes.client.extended.leaderelection.Lock;
import io.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.kubernetes.client.informer.ResourceEventHandler;
import io.kubernetes.client.openapi.apis.CustomObjectsApi;
import io.kubernetes.client.extended.workqueue.DefaultRateLimitingQueue;
import io.kubernetes.client.extended.workqueue.RateLimitingQueue;
import io.kubernetes.client.informer.SharedIndexInformer;
import io.kubernetes.client.informer.SharedInformerFactory;
import io.kubernetes.client.informer.cache.Lister;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1ConfigMapList;
import io.kubernetes.client.openapi.models.V1EventSource;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServiceList;
import io.kubernetes.client.util.ClientBuilder;
import io.kubernetes.client.util.KubeConfig;
import io.prometheus.client.CollectorRegistry;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the parts together: clients, backend, informers, controller, leader election, HTTP. Exits
 * (through {@code onFatal}) when it loses the lease or the controller stops on its own, because
 * client-java never re-enters an election.
 */
public final class ControllerApp implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ControllerApp.class);
  private static final Duration READY_CHECK_INTERVAL = Duration.ofMillis(50);
  /** kube-vip-cloud-provider's Events come from the cloud provider's service controller. */
  static final String EVENT_COMPONENT = "service-controller";

  private final Settings settings;
  private final Runnable onFatal;
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private IpamBackend backend;
  private HttpEndpoints http;
  private LegacyEventBroadcaster broadcaster;
  private LegacyEventBroadcaster normalBroadcaster;
  private PacedEventSink pacedSink;
  private ControllerManager manager;
  private LeaseElector elector;
  private Metrics metrics;
  private java.util.concurrent.ScheduledExecutorService maintenance;
  private LeaseFence fence;
  private final AtomicBoolean fencedOff = new AtomicBoolean();
  private final AtomicBoolean leading = new AtomicBoolean();
  private ApiClient writeClient;

  public ControllerApp(Settings settings, Runnable onFatal) {
    this.settings = settings;
    this.onFatal = onFatal;
  }

  public void start() throws IOException {
    fence =
        settings.leaderElect()
            ? LeaseFence.forLease(settings.renewDeadline(), () -> {
                if (metrics != null) {
                  metrics.leader.set(0);
                }
                fencedOff.set(true);
                fatal("the leader lease may have expired (no renewal within " + settings.renewDeadline()
                    + "); stopped writing");
              })
            : LeaseFence.open();
    writeClient = client(Duration.ofSeconds(30));
    writeClient.setHttpClient(writeClient.getHttpClient().newBuilder().addNetworkInterceptor(fence.interceptor()).build());
    ApiClient watchClient = client(Duration.ZERO);
    AddressClaims claims = settings.addressClaims() ? new AddressClaims(writeClient) : AddressClaims.disabled();
    if (settings.addressClaims()) {
      checkClaimsApi(writeClient);
    }
    backend =
        BackendLoader.create(
            settings.backend(),
            new BackendContext(settings.clusterId(), settings.backendOptions(), ControllerApp::readSecret,
                settings.maintenanceInterval()));
    LOG.info("starting backend={} cluster={} configmap={}/{} loadBalancerClassOnly={} class={} identity={}",
        settings.backend(), settings.clusterId(), settings.configMapNamespace(), settings.configMapName(),
        settings.loadBalancerClassOnly(), settings.loadBalancerClassName(), settings.identity());

    SharedInformerFactory factory = new SharedInformerFactory(watchClient);
    CoreV1Api watchApi = new CoreV1Api(watchClient);
    SharedIndexInformer<V1Service> serviceInformer =
        factory.sharedIndexInformerFor(
            new PagedListerWatcher<V1Service, V1ServiceList>(
                watchClient,
                new ProtobufServicePages(watchClient),
                params -> watchApi.listServiceForAllNamespaces()
                    .resourceVersion(params.resourceVersion)
                    .watch(params.watch)
                    .timeoutSeconds(params.timeoutSeconds)
                    .buildCall(null),
                new com.google.gson.reflect.TypeToken<io.kubernetes.client.util.Watch.Response<V1Service>>() {}.getType(),
                UnaryOperator.identity(), // the pages' items are slim already
                (items, meta) -> new V1ServiceList().items(items).metadata(meta)),
            V1Service.class,
            Duration.ofMinutes(10).toMillis());
    // Only what the controller reads is cached: a tenth of the memory per Service (docs/benchmarks.md).
    serviceInformer.setTransform(object -> object instanceof V1Service service ? ServiceSnapshot.slim(service) : object);
    SharedIndexInformer<V1ConfigMap> configMapInformer =
        factory.sharedIndexInformerFor(
            params ->
                watchApi
                    .listNamespacedConfigMap(settings.configMapNamespace())
                    .fieldSelector("metadata.name=" + settings.configMapName())
                    .resourceVersion(params.resourceVersion)
                    .watch(params.watch)
                    .timeoutSeconds(params.timeoutSeconds)
                    .buildCall(null),
            V1ConfigMap.class,
            V1ConfigMapList.class,
            0);
    SharedIndexInformer<AddressClaimObject> claimInformer = null;
    if (settings.addressClaims()) {
      CustomObjectsApi watchCustom = new CustomObjectsApi(watchClient);
      UnaryOperator<AddressClaimObject> slim = AddressClaimObject::slim;
      claimInformer =
          factory.sharedIndexInformerFor(
              new PagedListerWatcher<AddressClaimObject, AddressClaimObject.ListObject>(
                  watchClient,
                  (limit, next) -> watchClient.<AddressClaimObject.ListObject>execute(
                      AddressClaimObject.list(watchCustom)
                          .limit(limit)._continue(next).buildCall(null),
                      AddressClaimObject.ListObject.class).getData(),
                  params -> AddressClaimObject.list(watchCustom)
                      .resourceVersion(params.resourceVersion)
                      .watch(params.watch)
                      .timeoutSeconds(params.timeoutSeconds)
                      .buildCall(null),
                  new com.google.gson.reflect.TypeToken<io.kubernetes.client.util.Watch.Response<AddressClaimObject>>() {}.getType(),
                  slim,
                  AddressClaimObject.ListObject::new),
              AddressClaimObject.class,
              0);
      claimInformer.setTransform(object -> object instanceof AddressClaimObject claim ? slim.apply(claim) : object);
      claimInformer.addEventHandler(
          new ResourceEventHandler<AddressClaimObject>() {
            @Override
            public void onAdd(AddressClaimObject object) {
              claims.observed(object);
            }

            @Override
            public void onUpdate(AddressClaimObject oldObject, AddressClaimObject newObject) {
              claims.observed(newObject);
            }

            @Override
            public void onDelete(AddressClaimObject object, boolean finalStateUnknown) {
              claims.observedDeleted(object);
            }
          });
    }
    SharedIndexInformer<AddressClaimObject> claimsSynced = claimInformer;

    broadcaster = new LegacyEventBroadcaster(new CoreV1Api(writeClient));
    EventRecorder warningRecorder = broadcaster.newRecorder(new V1EventSource().component(EVENT_COMPONENT));
    broadcaster.startRecording();
    pacedSink = new PacedEventSink(new CoreV1Api(writeClient), PacedEventSink.DEFAULT, System::nanoTime);
    EventBacklog normalBacklog = new EventBacklog(EventBacklog.DEFAULT_LIMIT, System::nanoTime);
    normalBroadcaster = new LegacyEventBroadcaster(normalBacklog.correlator(), pacedSink);
    EventRecorder normalRecorder = normalBroadcaster.newRecorder(new V1EventSource().component(EVENT_COMPONENT));
    normalBroadcaster.startRecording();

    CollectorRegistry registry = new CollectorRegistry(true);
    io.prometheus.client.hotspot.DefaultExports.register(registry);
    io.kubernetes.client.monitoring.Monitoring.installMetrics(writeClient);
    RateLimitingQueue<Request> queue = new DefaultRateLimitingQueue<>(Executors.newSingleThreadExecutor());
    WaitingServices waiting = new WaitingServices(queue);
    metrics = new Metrics(registry, settings.backend(), backend, waiting::size);
    ServiceDecider.Scope scope = new ServiceDecider.Scope(settings.loadBalancerClassOnly(), settings.loadBalancerClassName());
    StandbyQueue standbyQueue = new StandbyQueue(leading::get, scope);
    ControllerLoop loop =
        new ControllerLoop(new ControllerLoop.Inputs(
            settings.clusterId(),
            scope,
            backend,
            new Lister<>(serviceInformer.getIndexer()),
            new Lister<>(configMapInformer.getIndexer()),
            settings.configMapNamespace(),
            settings.configMapName(),
            ServiceWriter.of(writeClient),
            new Events(normalRecorder, warningRecorder, () -> {
              pacedSink.requested();
              if (normalBacklog.admit()) {
                return true;
              }
              metrics.eventsDropped.inc();
              return false;
            }),
            metrics,
            claims,
            fence,
            settings.claimGcGrace(),
            waiting));

    // Registered before the informers start, so that it sees every Service from the first list on.
    serviceInformer.addEventHandler(loop.standby);
    Controller controller =
        ControllerBuilder.defaultBuilder(factory)
            .withName("lbipam-services")
            .withWorkQueue(queue)
            .watch(q -> ControllerBuilder.controllerWatchBuilder(V1Service.class, q)
                .withOnAddFilter(standbyQueue::queueNow)
                .withOnUpdateFilter((before, after) -> standbyQueue.queueNow(after))
                .build())
            .withReadyFunc(
                () -> {
                  if (!serviceInformer.hasSynced() || !configMapInformer.hasSynced()
                      || (claimsSynced != null && !claimsSynced.hasSynced())) {
                    return false;
                  }
                  try {
                    loop.startup.run();
                    return true;
                  } catch (RuntimeException e) {
                    LOG.warn("start-up indexing failed, will try again error=\"{}\"", e.getMessage());
                    return false;
                  }
                })
            .withReadyTimeout(Duration.ofMinutes(15))
            .withWorkerCount(settings.workers())
            .withReconciler(loop.services)
            .build();
    // The pool ConfigMap has a controller of its own, with one worker (the start-up index applies
    // the pools too, before any Service is reconciled).
    Controller poolConfigController =
        ControllerBuilder.defaultBuilder(factory)
            .withName("lbipam-pool-config")
            .watch(q -> ControllerBuilder.controllerWatchBuilder(V1ConfigMap.class, q).build())
            .withReadyFunc(configMapInformer::hasSynced)
            .withReadyTimeout(Duration.ofMinutes(15))
            .withWorkerCount(1)
            .withReconciler(loop.poolConfig)
            .build();
    // client-java checks a controller's ready function once a second: a start-up would wait up to
    // a second after its caches synced before indexing and serving the first Service.
    for (Controller built : List.of(controller, poolConfigController)) {
      if (built instanceof DefaultController polled) {
        polled.setReadyCheckInternal(READY_CHECK_INTERVAL);
      }
    }
    manager = ControllerBuilder.controllerManagerBuilder(factory).addController(controller)
        .addController(poolConfigController).build();

    http =
        new HttpEndpoints(
            settings.bindAddress(),
            settings.httpPort(),
            new CollectorRegistry[] {registry, CollectorRegistry.defaultRegistry},
            () -> !stopping.get(),
            () -> !stopping.get() && !fencedOff.get() && backend.health().available());
    LOG.info("http listening port={}", http.port());

    maintenance =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "maintenance");
              t.setDaemon(true);
              return t;
            });
    Runnable lead =
        () -> {
          fence.startLeading();
          leading.set(true);
          metrics.leader.set(1);
          List<V1Service> cached = serviceInformer.getIndexer().list();
          int queuedBefore = queue.length();
          StandbyQueue.takeOver(cached, queue);
          LOG.info("leading; starting workers queued={} cached={}", queuedBefore, cached.size());
          long every = settings.maintenanceInterval().toMillis();
          maintenance.scheduleWithFixedDelay(loop.maintenance::run, every, every, java.util.concurrent.TimeUnit.MILLISECONDS);
          if (settings.addressClaims()) {
            Thread legacy = new Thread(() -> LegacyIpAddressClaims.removeAll(writeClient), "legacy-claims");
            legacy.setDaemon(true);
            legacy.start();
          }
          manager.run();
          if (!stopping.get()) {
            fatal("controller stopped on its own (caches did not sync?)");
          }
        };
    // Warm standby: the caches fill and follow the API server before this replica leads, so a
    // fail-over starts from synced caches rather than a LIST of every Service.
    if (!HeapWatch.install(HeapWatch.DEFAULT_FRACTION, () -> serviceInformer.getIndexer().listKeys().size(), text -> { })) {
      LOG.info("no heap pool with a collection threshold in this JVM; a full heap will not be reported");
    }
    factory.startAllRegisteredInformers();
    LOG.info("informers started; caches fill while waiting for the leader lease");
    Thread synced = new Thread(() -> {
      long started = System.nanoTime();
      try {
        while (!stopping.get() && !(serviceInformer.hasSynced() && configMapInformer.hasSynced()
            && (claimsSynced == null || claimsSynced.hasSynced()))) {
          Thread.sleep(50);
        }
      } catch (InterruptedException e) {
        return;
      }
      if (!stopping.get()) {
        LOG.info("caches synced services={} claims={} seconds={}", serviceInformer.getIndexer().list().size(),
            claimsSynced == null ? 0 : claimsSynced.getIndexer().list().size(),
            String.format(java.util.Locale.ROOT, "%.2f", (System.nanoTime() - started) / 1e9));
      }
    }, "caches-synced");
    synced.setDaemon(true);
    synced.start();
    if (settings.leaderElect()) {
      // Lease calls get a client of their own, bounded per call: a hung renewal must not outlast
      // the retry period (the lease fence closes writes at the renew deadline regardless).
      ApiClient leaseClient = client(Duration.ofSeconds(30));
      leaseClient.setHttpClient(leaseClient.getHttpClient().newBuilder().callTimeout(settings.retryPeriod()).build());
      Lock lock =
          fence.wrap(new LeaseLock(settings.leaseNamespace(), settings.leaseName(), settings.identity(), leaseClient));
      elector = new LeaseElector(lock,
          new LeaseElector.Timing(settings.leaseDuration(), settings.renewDeadline(), settings.retryPeriod()),
          System::nanoTime);
      Thread election =
          new Thread(
              () ->
                  elector.run(
                      lead,
                      () -> {
                        metrics.leader.set(0);
                        if (!stopping.get()) {
                          fatal("lost the leader lease " + settings.leaseNamespace() + "/" + settings.leaseName());
                        }
                      }),
              "leader-election");
      election.setDaemon(true);
      election.start();
    } else {
      Thread run = new Thread(lead, "controller");
      run.setDaemon(true);
      run.start();
    }
  }

  public int httpPort() {
    return http.port();
  }

  /** Blocks until {@link #close} has finished. */
  public void awaitStopped() throws InterruptedException {
    stopped.await();
  }

  private void fatal(String why) {
    LOG.error("fatal, exiting: {}", why);
    onFatal.run();
  }

  @Override
  public void close() {
    if (!stopping.compareAndSet(false, true)) {
      return;
    }
    LOG.info("shutting down");
    ShutdownNoise.stopping();
    try {
      if (maintenance != null) {
        maintenance.shutdownNow();
      }
      if (manager != null) {
        manager.shutdown();
      }
      if (elector != null) {
        elector.close();
        if (leading.get() && !fencedOff.get()) {
          fence.stopLeading();
          LeaseRelease.release(writeClient, settings.leaseNamespace(), settings.leaseName(), settings.identity());
        }
      }
      if (broadcaster != null) {
        broadcaster.shutdown();
      }
      if (normalBroadcaster != null) {
        pacedSink.close();
        normalBroadcaster.shutdown();
      }
      if (http != null) {
        http.close();
      }
      if (backend != null) {
        backend.close();
      }
    } finally {
      LOG.info("stopped");
      stopped.countDown();
    }
  }

  private ApiClient client(Duration readTimeout) throws IOException {
    ApiClient client;
    Optional<java.nio.file.Path> kubeconfig = settings.kubeconfig();
    if (kubeconfig.isPresent()) {
      try (Reader reader = Files.newBufferedReader(kubeconfig.get())) {
        KubeConfig config = KubeConfig.loadKubeConfig(reader);
        config.setFile(kubeconfig.get().toFile());
        client = ClientBuilder.kubeconfig(config).build();
      }
    } else {
      client = ClientBuilder.standard(false).build();
    }
    client.setHttpClient(
        client.getHttpClient().newBuilder().readTimeout(readTimeout).connectTimeout(Duration.ofSeconds(10)).build());
    // Tells the replicas apart in the API server's audit log.
    client.setUserAgent("lbipam/" + settings.identity());
    return client;
  }

  /**
   * Fails start-up with a clear message when the cluster cannot hold our address claims. A CRD
   * applied together with the Deployment answers 404, then 429 for a moment: waited for, briefly.
   */
  private static void checkClaimsApi(ApiClient client) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      try {
        AddressClaimObject.list(new CustomObjectsApi(client)).limit(1).execute();
        return;
      } catch (io.kubernetes.client.openapi.ApiException e) {
        if ((e.getCode() == 404 || e.getCode() == 429 || e.getCode() >= 500) && System.nanoTime() < deadline) {
          LOG.info("address claim resource not served yet; retrying code={}", e.getCode());
          sleepQuietly(Duration.ofSeconds(1));
          continue;
        }
        throw claimsApiMissing(e);
      }
    }
  }

  private static void sleepQuietly(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static IllegalStateException claimsApiMissing(io.kubernetes.client.openapi.ApiException e) {
    String resource = AddressClaimObject.PLURAL + "." + AddressClaimObject.GROUP;
    String why =
        switch (e.getCode()) {
          case 404 -> "the API server does not serve " + resource + "/" + AddressClaimObject.VERSION
              + ": apply manifest/base/crd.yaml (kubectl apply -k manifest/ and the Helm chart include it),"
              + " or run with --address-claims=false (then only leader election guards against duplicates)";
          case 403 -> "the ServiceAccount may not list " + resource + ": apply manifest/base/rbac.yaml";
          default -> "listing " + resource + " failed with HTTP " + e.getCode();
        };
    return new IllegalStateException(why, e);
  }

  /** Secrets come from files under /etc/lbipam/secrets/NAME or env LBIPAM_SECRET_NAME. */
  static Optional<String> readSecret(String name) {
    java.nio.file.Path file = java.nio.file.Path.of(System.getenv().getOrDefault("LBIPAM_SECRETS_DIR", "/etc/lbipam/secrets"), name);
    try {
      if (Files.isReadable(file)) {
        return Optional.of(Files.readString(file).strip());
      }
    } catch (IOException e) {
      LOG.warn("secret file unreadable name={} error={}", name, e.getClass().getSimpleName());
    }
    String env = System.getenv("LBIPAM_SECRET_" + name.toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
    return Optional.ofNullable(env).filter(s -> !s.isEmpty());
  }
}
