package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lbipam.ipam.spi.AllocationRequest;
import dev.lbipam.ipam.spi.BackendContext;
import dev.lbipam.ipam.spi.FamilyPolicy;
import dev.lbipam.ipam.spi.IpamBackend;
import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.PortKey;
import dev.lbipam.ipam.spi.net.IpFamily;
import io.kubernetes.client.informer.cache.Cache;
import io.kubernetes.client.informer.cache.Lister;
import io.kubernetes.client.openapi.models.V1LoadBalancerIngress;
import io.kubernetes.client.openapi.models.V1LoadBalancerStatus;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServicePort;
import io.kubernetes.client.openapi.models.V1ServiceSpec;
import io.kubernetes.client.openapi.models.V1ServiceStatus;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class StandbyHoldingsTest {
  private static final String CLUSTER = "standby";
  private static final Map<String, String> POOLS = Map.of("cidr-global", "10.0.0.0/29");
  private static final ServiceDecider.Scope SCOPE = new ServiceDecider.Scope(false, Settings.DEFAULT_CLASS);

  /** One change a user or the old leader makes, and whether the standby's informer delivered it before the take-over. */
  record Change(int service, int generation, String type, String annotation, String status, boolean deleting, int port,
      boolean delete, boolean delivered) {}

  /** The parts a standby runs, over one cache, with the Events it wrote. */
  private static final class Standby {
    final Cache<V1Service> cache;
    final IpamBackend backend;
    final List<LoopHarness.RecordedEvent> events = new ArrayList<>();
    final Holdings holdings;
    final StandbyHoldings standby;

    Standby(Cache<V1Service> cache, IpamBackend backend) {
      this.cache = cache;
      this.backend = backend;
      backend.configure(Optional.of(POOLS));
      holdings = new Holdings(CLUSTER, backend, new Lister<>(cache), SCOPE, new Owners(CLUSTER), new Events(new LoopHarness.Recorder(events)));
      standby = new StandbyHoldings(holdings, new Lister<>(cache));
    }
  }

  @Property(tries = 400)
  void aTakeOverLeavesTheBackendAsAFreshStartOverTheSameCacheWould(@ForAll("histories") List<Change> history) {
    Cache<V1Service> cache = new Cache<>();
    Standby standby = new Standby(cache, configMapBackend());
    for (Change change : history) {
      String name = "svc-" + change.service();
      V1Service existing = cache.getByKey("a/" + name);
      if (change.delete()) {
        if (existing != null) {
          cache.delete(existing);
          if (change.delivered()) {
            standby.standby.onDelete(existing, false);
          }
        }
        continue;
      }
      V1Service next = service(name, change);
      if (existing == null) {
        cache.add(next);
      } else {
        cache.update(next);
      }
      if (change.delivered()) {
        if (existing == null) {
          standby.standby.onAdd(next);
        } else {
          standby.standby.onUpdate(existing, next);
        }
      }
    }
    assertThat(standby.events).as("a standby writes no Events").isEmpty();
    standby.standby.takeOver();

    Standby fresh = new Standby(cache, configMapBackend());
    fresh.holdings.holdAll();
    assertThat(Set.copyOf(standby.backend.holdings())).isEqualTo(Set.copyOf(fresh.backend.holdings()));
    AllocationRequest next = new AllocationRequest(new OwnerRef(CLUSTER, "a", "new", "uid-new"), List.of(IpFamily.IPV4),
        FamilyPolicy.SINGLE_STACK, List.of(new PortKey("TCP", 80)));
    assertThat(standby.backend.allocate(next)).isEqualTo(fresh.backend.allocate(next));
  }

  @Provide
  Arbitrary<List<Change>> histories() {
    Arbitrary<Change> change = Combinators.combine(
            Arbitraries.integers().between(0, 4),
            Arbitraries.integers().between(0, 1),
            Arbitraries.of("LoadBalancer", "LoadBalancer", "LoadBalancer", "ClusterIP"),
            Arbitraries.of("", "10.0.0.1", "10.0.0.2", "10.0.0.1,10.0.0.3", "10.0.0.300"),
            Arbitraries.of("", "10.0.0.1", "10.0.0.2", "10.0.0.4"),
            Arbitraries.of(false, false, false, true),
            Arbitraries.of(80, 443),
            Arbitraries.of(false, false, false, true))
        .as((service, generation, type, annotation, status, deleting, port, delete) ->
            new Change(service, generation, type, annotation, status, deleting, port, delete, true))
        .flatMap(c -> Arbitraries.of(true, true, true, false).map(delivered ->
            new Change(c.service(), c.generation(), c.type(), c.annotation(), c.status(), c.deleting(), c.port(), c.delete(),
                delivered)));
    return change.list().ofMinSize(1).ofMaxSize(30);
  }

  @Test
  void aBackendThatIsNotInProcessHearsNothingUntilTheTakeOver() {
    Cache<V1Service> cache = new Cache<>();
    LoopHarness.SwitchableBackend notInProcess = new LoopHarness.SwitchableBackend(configMapBackend());
    Standby standby = new Standby(cache, notInProcess);
    V1Service first = service("svc-0", new Change(0, 0, "LoadBalancer", "10.0.0.1", "10.0.0.1", false, 80, false, true));
    V1Service second = service("svc-1", new Change(1, 0, "LoadBalancer", "", "", false, 80, false, true));
    cache.add(first);
    cache.add(second);
    standby.standby.onAdd(first);
    standby.standby.onAdd(second);
    cache.delete(second);
    standby.standby.onDelete(second, false);
    assertThat(notInProcess.holds).as("a standby must not tell a shared backend anything").isEmpty();
    assertThat(notInProcess.releases).isEmpty();

    StandbyHoldings.TakeOver takeOver = standby.standby.takeOver();
    assertThat(notInProcess.holds).containsExactly("a/svc-0 [10.0.0.1]");
    assertThat(notInProcess.releases).isEmpty();
    assertThat(takeOver).isEqualTo(new StandbyHoldings.TakeOver(1, 1));
  }

  @Test
  void anInProcessBackendIsKeptCurrentSoTheTakeOverHoldsOnlyWhatTheStandbyMissed() {
    Cache<V1Service> cache = new Cache<>();
    Standby standby = new Standby(cache, configMapBackend());
    V1Service first = service("svc-0", new Change(0, 0, "LoadBalancer", "10.0.0.1", "10.0.0.1", false, 80, false, true));
    cache.add(first);
    standby.standby.onAdd(first);
    assertThat(standby.backend.holdings()).extracting(h -> h.owner().name()).containsExactly("svc-0");

    V1Service missed = service("svc-1", new Change(1, 0, "LoadBalancer", "10.0.0.2", "10.0.0.2", false, 80, false, true));
    cache.add(missed);
    V1Service renamedAway = service("svc-0", new Change(0, 0, "LoadBalancer", "", "10.0.0.1", false, 80, false, true));
    cache.update(renamedAway);

    StandbyHoldings.TakeOver takeOver = standby.standby.takeOver();
    assertThat(takeOver).isEqualTo(new StandbyHoldings.TakeOver(1, 2));
    assertThat(standby.backend.holdings()).extracting(h -> h.owner().name())
        .as("the address svc-0 gave up is free; the one the standby missed is held").containsExactly("svc-1");
  }

  private static IpamBackend configMapBackend() {
    return BackendLoader.create("configmap", new BackendContext(CLUSTER, Map.of(), name -> Optional.empty()));
  }

  private static V1Service service(String name, Change change) {
    V1ObjectMeta meta = new V1ObjectMeta().namespace("a").name(name).uid(name + "-uid-" + change.generation())
        .addFinalizersItem(KubeVipNames.FINALIZER);
    if (!change.annotation().isEmpty()) {
      meta.putAnnotationsItem(KubeVipNames.ADDRESSES_ANNOTATION, change.annotation());
    }
    if (change.deleting()) {
      meta.deletionTimestamp(OffsetDateTime.parse("2026-12-04T00:00:00Z"));
    }
    V1ServiceStatus status = new V1ServiceStatus();
    if (!change.status().isEmpty()) {
      status.loadBalancer(new V1LoadBalancerStatus().addIngressItem(new V1LoadBalancerIngress().ip(change.status())));
    }
    return new V1Service().metadata(meta)
        .spec(new V1ServiceSpec().type(change.type()).addPortsItem(new V1ServicePort().port(change.port()).protocol("TCP")))
        .status(status);
  }
}
