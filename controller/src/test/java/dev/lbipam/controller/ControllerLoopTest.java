package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.openapi.models.V1Service;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import io.kubernetes.client.extended.controller.reconciler.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The controller loop, in-process ({@link LoopHarness}): a table of Service situations, each run
 * from a fresh loop to a settled state, checked on what the Services show, the Events and the
 * patches. The same situations run against the real API server in ConfigMapModeIT and friends.
 */
class ControllerLoopTest {
  static final String NS = "web";
  static final Map<String, String> POOL = Map.of("cidr-global", "10.0.0.0/30");

  /** A situation: the pools, what happens, and what must hold once the loop settled. */
  record Case(String name, Map<String, String> pools, Consumer<LoopHarness> steps, Consumer<LoopHarness> expect) {
    @Override
    public String toString() {
      return name;
    }
  }

  static V1Service lb(String name) {
    return TestServices.loadBalancer(NS, name);
  }

  static V1Service annotated(String name, String addresses) {
    V1Service service = lb(name);
    service.getMetadata().putAnnotationsItem(KubeVipNames.ADDRESSES_ANNOTATION, addresses);
    return service;
  }

  static List<String> shown(LoopHarness loop, String... names) {
    List<String> addresses = new ArrayList<>();
    for (String name : names) {
      addresses.add(loop.annotation(NS, name).orElse("-"));
    }
    return addresses;
  }

  static Stream<Case> situations() {
    return Stream.of(
        new Case("a new Service gets the lowest free address, label and finalizer", POOL,
            loop -> loop.apply(lb("a")),
            loop -> {
              assertThat(loop.annotation(NS, "a")).contains("10.0.0.1");
              V1Service a = loop.get(NS, "a").orElseThrow();
              assertThat(a.getMetadata().getLabels()).containsEntry("implementation", "kube-vip");
              assertThat(a.getMetadata().getFinalizers()).containsExactly("service.kubernetes.io/load-balancer-cleanup");
              assertThat(a.getSpec().getLoadBalancerIP()).isEqualTo("10.0.0.1");
              assertThat(loop.eventsOf(NS, "a")).containsExactly(
                  "Normal/EnsuringLoadBalancer: Ensuring load balancer",
                  "Normal/EnsuredLoadBalancer: Assigned 10.0.0.1 from cidr-global");
            }),
        new Case("two new Services never get the same address", POOL,
            loop -> {
              loop.apply(lb("a"));
              loop.apply(lb("b"));
            },
            loop -> assertThat(shown(loop, "a", "b")).containsExactlyInAnyOrder("10.0.0.1", "10.0.0.2")),
        new Case("a static annotation is kept, and the next Service skips it", POOL,
            loop -> {
              loop.apply(annotated("static", "10.0.0.1"));
              loop.apply(lb("b"));
            },
            loop -> {
              assertThat(shown(loop, "static", "b")).containsExactly("10.0.0.1", "10.0.0.2");
              assertThat(loop.eventsOf(NS, "static")).contains(
                  "Normal/EnsuredLoadBalancer: Using 10.0.0.1 from the annotation kube-vip.io/loadbalancerIPs");
            }),
        new Case("spec.loadBalancerIP alone is adopted into the annotation", POOL,
            loop -> {
              V1Service pinned = lb("pinned");
              pinned.getSpec().setLoadBalancerIP("10.0.0.2");
              loop.apply(pinned);
            },
            loop -> {
              assertThat(loop.annotation(NS, "pinned")).contains("10.0.0.2");
              assertThat(loop.eventsOf(NS, "pinned")).contains(
                  "Normal/EnsuredLoadBalancer: Using 10.0.0.2 from spec.loadBalancerIP");
            }),
        new Case("two Services with compatible ports share one address where allow-share says so",
            Map.of("cidr-global", "10.0.0.0/30", "allow-share-global", "true"),
            loop -> {
              loop.apply(TestServices.withPorts(lb("tcp"), new TestServices.Port("TCP", 53)));
              loop.apply(TestServices.withPorts(lb("udp"), new TestServices.Port("UDP", 53)));
            },
            loop -> assertThat(shown(loop, "tcp", "udp")).containsExactly("10.0.0.1", "10.0.0.1")),
        new Case("clashing ports are not shared even where allow-share says so",
            Map.of("cidr-global", "10.0.0.0/30", "allow-share-global", "true"),
            loop -> {
              loop.apply(lb("one"));
              loop.apply(lb("two"));
            },
            loop -> assertThat(shown(loop, "one", "two")).containsExactlyInAnyOrder("10.0.0.1", "10.0.0.2")),
        new Case("a deleted Service frees its address for a waiting one", Map.of("cidr-global", "10.0.0.1/32"),
            loop -> {
              loop.apply(lb("first"));
              loop.settle();
              loop.apply(lb("second"));
              loop.settle();
              assertThat(loop.annotation(NS, "second")).isEmpty();
              assertThat(loop.eventsOf(NS, "second")).anyMatch(e -> e.startsWith("Warning/PoolExhausted"));
              loop.delete(NS, "first");
            },
            loop -> {
              assertThat(loop.get(NS, "first")).as("finalizer removed, Service gone").isEmpty();
              assertThat(loop.annotation(NS, "second")).contains("10.0.0.1");
            }),
        new Case("a Service whose class changes away is let go: finalizer off, address still counted", POOL,
            loop -> {
              loop.apply(lb("moving"));
              loop.settle();
              V1Service moved = loop.get(NS, "moving").orElseThrow();
              moved.getSpec().setLoadBalancerClass("example.com/other");
              loop.apply(moved);
              loop.settle();
              loop.apply(lb("next"));
            },
            loop -> {
              assertThat(loop.get(NS, "moving").orElseThrow().getMetadata().getFinalizers()).isNullOrEmpty();
              assertThat(loop.annotation(NS, "moving")).contains("10.0.0.1");
              assertThat(loop.annotation(NS, "next")).contains("10.0.0.2");
            }),
        new Case("a Service waiting for a pool gets an address when the pool appears", Map.of(),
            loop -> {
              loop.apply(lb("early"));
              loop.settle();
              assertThat(loop.eventsOf(NS, "early")).anyMatch(e -> e.startsWith("Warning/NoPool"));
              assertThat(loop.get(NS, "early").orElseThrow().getMetadata().getFinalizers())
                  .as("a waiting Service is handled: finalizer on").isNotEmpty();
              loop.setPools(POOL);
            },
            loop -> assertThat(loop.annotation(NS, "early")).contains("10.0.0.1")),
        new Case("a malformed annotation gets a Warning naming the value, and other Services go on", POOL,
            loop -> {
              loop.apply(annotated("bad", "10.0.0.300"));
              loop.apply(lb("good"));
            },
            loop -> {
              assertThat(loop.eventsOf(NS, "bad")).anyMatch(e -> e.startsWith("Warning/InvalidAnnotation") && e.contains("10.0.0.300"));
              assertThat(loop.annotation(NS, "good")).contains("10.0.0.1");
            }),
        new Case("a backend that is away leaves the Service waiting with a Warning, then serves it", POOL,
            loop -> {
              loop.backend.down = true;
              loop.apply(lb("patient"));
              loop.settle();
              loop.loop.maintenance.run();
              assertThat(loop.annotation(NS, "patient")).isEmpty();
              assertThat(loop.eventsOf(NS, "patient")).anyMatch(e -> e.startsWith("Warning/BackendUnavailable"));
              assertThat(loop.parked).anyMatch(p -> p.startsWith(NS + "/patient after PT2S"));
              loop.backend.down = false;
              loop.loop.maintenance.run();
            },
            loop -> assertThat(loop.annotation(NS, "patient")).contains("10.0.0.1")),
        new Case("a write conflict is decided again from fresh state, without a second address", POOL,
            loop -> {
              loop.conflictOnNextPatches(2);
              loop.apply(lb("raced"));
            },
            loop -> {
              assertThat(loop.annotation(NS, "raced")).contains("10.0.0.1");
              assertThat(loop.patches).hasSize(3);
              assertThat(loop.backend.holdings()).hasSize(1);
            }));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("situations")
  void theLoopSettlesAsExpected(Case situation) {
    LoopHarness loop = new LoopHarness(situation.pools());
    situation.steps().accept(loop);
    loop.settle();
    situation.expect().accept(loop);
  }

  /**
   * The key comes round again before the watch delivered our patch (a dirty re-queue, a retry of
   * the waiting Services): the cache still shows the Service without its address. That is not a
   * user removing the address, and nothing may be released while the API server shows it.
   */
  @Test
  void aReconcileOnACacheThatLagsBehindOurPatchReleasesNothing() {
    LoopHarness loop = new LoopHarness(POOL);
    loop.watchLags = true;
    loop.apply(lb("a"));
    loop.reconcile(NS, "a");
    assertThat(loop.server(NS, "a").map(s -> s.getMetadata().getAnnotations().get(KubeVipNames.ADDRESSES_ANNOTATION)))
        .contains("10.0.0.1");
    assertThat(loop.annotation(NS, "a")).as("the cache lags").isEmpty();

    Result again = loop.reconcile(NS, "a");

    assertThat(loop.backend.releases).as("releases while the API server shows 10.0.0.1 on web/a").isEmpty();
    assertThat(again.isRequeue()).isTrue();
    loop.deliverWatch();
    loop.watchLags = false;
    loop.apply(lb("b"));
    loop.settle();
    assertThat(shown(loop, "a", "b")).containsExactly("10.0.0.1", "10.0.0.2");
    assertThat(loop.backend.releases).isEmpty();
  }

  /** A scheduled task stops for good after one exception: a maintenance round must never throw. */
  @Test
  void aMaintenanceRoundThatMeetsAFailingBackendThrowsNothing() {
    LoopHarness loop = new LoopHarness(POOL);
    loop.apply(lb("a"));
    loop.settle();
    loop.backend.maintainFails = true;
    org.assertj.core.api.Assertions.assertThatCode(loop.loop.maintenance::run).doesNotThrowAnyException();
    loop.backend.maintainFails = false;
    loop.apply(lb("b"));
    loop.settle();
    assertThat(shown(loop, "a", "b")).containsExactly("10.0.0.1", "10.0.0.2");
  }
}
