package dev.lbipam.controller;

import com.google.gson.reflect.TypeToken;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1LoadBalancerIngress;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServiceList;
import io.kubernetes.client.util.Watch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Follows every Service of one namespace through a raw watch (events in resourceVersion order, one
 * at a time, never coalesced) and checks after each event that no address is shown by two Services
 * at that instant. Addresses are what a data plane could announce: the annotation, {@code
 * spec.loadBalancerIP} and the status; an IPv4-mapped IPv6 address counts as its IPv4 host.
 */
final class DuplicateWatch implements AutoCloseable {
  private final ApiClient client;
  private final String namespace;
  private final String cluster;
  private final Thread thread;
  private final AtomicBoolean stop = new AtomicBoolean();
  private final AtomicLong events = new AtomicLong();
  private final List<String> duplicates = new CopyOnWriteArrayList<>();
  private final Map<String, Set<String>> shownBy = new HashMap<>();
  private final Map<String, Set<String>> everShown = new HashMap<>();
  private volatile Throwable failure;
  /** Other watches whose current holdings count too (another cluster on one shared pool). */
  private final List<DuplicateWatch> peers = new CopyOnWriteArrayList<>();

  /** @param watchClient a client with read timeout 0 */
  DuplicateWatch(ApiClient watchClient, String namespace, String cluster) {
    this.client = watchClient;
    this.namespace = namespace;
    this.cluster = cluster;
    this.thread = new Thread(this::run, "duplicate-watch-" + cluster + "-" + namespace);
    thread.setDaemon(true);
  }

  DuplicateWatch start() throws Exception {
    V1ServiceList list = new CoreV1Api(client).listNamespacedService(namespace).execute();
    synchronized (DuplicateWatch.class) {
      for (V1Service service : list.getItems()) {
        apply("ADDED", service);
      }
    }
    resourceVersion = list.getMetadata().getResourceVersion();
    thread.start();
    return this;
  }

  /** Also count what {@code other} shows at each event, in either watch. */
  static void crossCheck(DuplicateWatch a, DuplicateWatch b) {
    a.peers.add(b);
    b.peers.add(a);
  }

  private volatile String resourceVersion;

  private void run() {
    CoreV1Api api = new CoreV1Api(client);
    while (!stop.get()) {
      try (Watch<V1Service> watch =
          Watch.createWatch(
              client,
              api.listNamespacedService(namespace)
                  .watch(true)
                  .allowWatchBookmarks(true)
                  .resourceVersion(resourceVersion)
                  .timeoutSeconds(300)
                  .buildCall(null),
              new TypeToken<Watch.Response<V1Service>>() {}.getType())) {
        for (Watch.Response<V1Service> item : watch) {
          if (stop.get()) {
            return;
          }
          if ("ERROR".equals(item.type)) {
            throw new IllegalStateException("watch error: " + item.status);
          }
          if (item.object != null && item.object.getMetadata() != null) {
            resourceVersion = item.object.getMetadata().getResourceVersion();
          }
          if ("BOOKMARK".equals(item.type)) {
            continue;
          }
          synchronized (DuplicateWatch.class) {
            apply(item.type, item.object);
          }
        }
      } catch (IllegalStateException e) {
        failure = e;
        return;
      } catch (Exception e) {
        // The watch timed out or the connection dropped: go on from the last resourceVersion.
        if (stop.get()) {
          return;
        }
      }
    }
  }

  private void apply(String type, V1Service service) {
    events.incrementAndGet();
    String name = service.getMetadata().getName();
    Set<String> addresses = "DELETED".equals(type) ? Set.of() : addresses(service);
    shownBy.put(name, addresses);
    if (addresses.isEmpty()) {
      shownBy.remove(name);
    }
    everShown.computeIfAbsent(name, n -> new LinkedHashSet<>()).addAll(addresses);
    for (String address : addresses) {
      List<String> holders = new ArrayList<>();
      for (Map.Entry<String, Set<String>> entry : shownBy.entrySet()) {
        if (entry.getValue().contains(address)) {
          holders.add(cluster + ":" + entry.getKey());
        }
      }
      for (DuplicateWatch peer : peers) {
        for (Map.Entry<String, Set<String>> entry : peer.shownBy.entrySet()) {
          if (entry.getValue().contains(address)) {
            holders.add(peer.cluster + ":" + entry.getKey());
          }
        }
      }
      if (holders.size() > 1) {
        duplicates.add("event " + events.get() + " (" + type + " " + name + " rv "
            + service.getMetadata().getResourceVersion() + "): " + address + " shown by " + holders);
      }
    }
  }

  static Set<String> addresses(V1Service service) {
    Set<String> found = new HashSet<>();
    Map<String, String> annotations = service.getMetadata().getAnnotations();
    if (annotations != null && annotations.get(KubeVipNames.ADDRESSES_ANNOTATION) != null) {
      for (String part : annotations.get(KubeVipNames.ADDRESSES_ANNOTATION).split(",")) {
        addHost(found, part);
      }
    }
    if (service.getSpec() != null && service.getSpec().getLoadBalancerIP() != null) {
      addHost(found, service.getSpec().getLoadBalancerIP());
    }
    if (service.getStatus() != null && service.getStatus().getLoadBalancer() != null
        && service.getStatus().getLoadBalancer().getIngress() != null) {
      for (V1LoadBalancerIngress ingress : service.getStatus().getLoadBalancer().getIngress()) {
        if (ingress.getIp() != null) {
          addHost(found, ingress.getIp());
        }
      }
    }
    return found;
  }

  private static void addHost(Set<String> found, String text) {
    String trimmed = text.trim();
    if (trimmed.isEmpty() || trimmed.equals("0.0.0.0")) {
      return;
    }
    try {
      found.add(AddressClaim.nameOf(dev.lbipam.ipam.spi.net.IpAddress.parse(trimmed)));
    } catch (RuntimeException e) {
      found.add(trimmed);
    }
  }

  long events() {
    return events.get();
  }

  List<String> duplicates() {
    return List.copyOf(duplicates);
  }

  /** Every address each Service ever showed. */
  Map<String, Set<String>> everShown() {
    synchronized (DuplicateWatch.class) {
      Map<String, Set<String>> copy = new HashMap<>();
      everShown.forEach((k, v) -> copy.put(k, Set.copyOf(v)));
      return copy;
    }
  }

  /** What each Service shows now, as the watch has seen it. */
  Map<String, Set<String>> current() {
    synchronized (DuplicateWatch.class) {
      Map<String, Set<String>> copy = new HashMap<>();
      shownBy.forEach((k, v) -> copy.put(k, Set.copyOf(v)));
      return copy;
    }
  }

  /** Fails if the watch thread failed. */
  void assertHealthy() {
    if (failure != null) {
      throw new AssertionError("address watch failed", failure);
    }
  }

  /** Waits until no event arrived for {@code quiet}. */
  void awaitQuiet(Duration quiet) throws InterruptedException {
    long last = -1;
    while (last != events.get()) {
      last = events.get();
      Thread.sleep(quiet.toMillis());
    }
  }

  @Override
  public void close() {
    stop.set(true);
    thread.interrupt();
  }
}
