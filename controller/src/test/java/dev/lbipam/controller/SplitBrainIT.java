package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lbipam.testsupport.KubeApiServer;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * The strongest form of the promise: two controllers with leader election switched off, both
 * allocating from their own view, and bursts of creates and deletes from many threads. The API
 * server's address claims alone keep every address on one Service at every watch event.
 */
class SplitBrainIT {
  static final Duration WAIT = Duration.ofSeconds(180);

  static ApiClient watchClient(KubeApiServer server) {
    ApiClient client = server.adminClient();
    client.setHttpClient(client.getHttpClient().newBuilder().readTimeout(Duration.ZERO).build());
    return client;
  }

  @Test
  void twoControllersWithoutLeaderElectionNeverShowOneAddressOnTwoServices() throws Exception {
    try (KubeApiServer server = KubeApiServer.start()) {
      Manifests.installPrerequisites(server.adminClient());
      TestServices kube = new TestServices(server.adminClient());
      String ns = server.createNamespace("split");
      kube.setPoolKeys(Map.of("cidr-" + ns, "10.46.0.0/24"));
      try (DuplicateWatch watch = new DuplicateWatch(watchClient(server), ns, "split").start();
          ControllerProcess a = ControllerProcess.start(server, "brain-a", "--leader-elect=false", "--claim-gc-grace=PT3S",
              "--maintenance-interval=PT1S");
          ControllerProcess b = ControllerProcess.start(server, "brain-b", "--leader-elect=false", "--claim-gc-grace=PT3S",
              "--maintenance-interval=PT1S")) {
        a.httpPort();
        b.httpPort();
        List<String> alive = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
          for (int wave = 0; wave < 3; wave++) {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < 80; i++) {
              String name = "w" + wave + "-" + i;
              futures.add(pool.submit(() -> kube.create(TestServices.loadBalancer(ns, name))));
              alive.add(name);
            }
            // Deletes race the creates: a third of what exists goes while the wave is being addressed.
            List<String> doomed = new ArrayList<>();
            for (String name : List.copyOf(alive)) {
              if (ThreadLocalRandom.current().nextInt(3) == 0) {
                doomed.add(name);
              }
            }
            for (Future<?> future : futures) {
              future.get();
            }
            List<Future<?>> deletes = new ArrayList<>();
            for (String name : doomed) {
              deletes.add(pool.submit(() -> {
                deleteQuietly(kube, ns, name);
                return null;
              }));
            }
            for (Future<?> future : deletes) {
              future.get();
            }
            alive.removeAll(doomed);
          }
        } finally {
          pool.shutdown();
        }
        await().atMost(WAIT).until(() -> kube.list(ns).stream()
            .allMatch(s -> s.getMetadata().getAnnotations() != null
                && s.getMetadata().getAnnotations().containsKey(KubeVipNames.ADDRESSES_ANNOTATION)));
        watch.awaitQuiet(Duration.ofSeconds(2));
        watch.assertHealthy();

        assertThat(watch.duplicates()).as("addresses on two Services at some watch event").isEmpty();
        assertThat(watch.events()).isGreaterThan(400);
        Map<String, Set<String>> current = watch.current();
        assertThat(current.keySet()).containsExactlyInAnyOrderElementsOf(alive);
        for (Map.Entry<String, Set<String>> shown : watch.everShown().entrySet()) {
          assertThat(shown.getValue()).as("%s never moved", shown.getKey()).hasSizeLessThanOrEqualTo(1);
        }
        assertThat(a.log() + b.log()).as("both controllers allocated").contains("allocated addresses=");
        assertThat(a.log()).contains("allocated addresses=");
        assertThat(b.log()).contains("allocated addresses=");

        for (String name : alive) {
          kube.delete(ns, name);
        }
        await().atMost(WAIT).until(() -> AddressClaimsIT.claims(server.adminClient()).isEmpty());
      }
    }
  }

  static void deleteQuietly(TestServices kube, String ns, String name) {
    try {
      kube.delete(ns, name);
    } catch (ApiException e) {
      if (e.getCode() != 404) {
        throw new IllegalStateException(e);
      }
    }
  }
}
