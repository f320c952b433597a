package dev.lbipam.ipam.configmap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lbipam.ipam.spi.AllocationOutcome;
import dev.lbipam.ipam.spi.AllocationOutcome.Allocated;
import dev.lbipam.ipam.spi.AllocationOutcome.Rejected;
import dev.lbipam.ipam.spi.AllocationRequest;
import dev.lbipam.ipam.spi.FamilyPolicy;
import dev.lbipam.ipam.spi.HoldOutcome;
import dev.lbipam.ipam.spi.Holding;
import dev.lbipam.ipam.spi.IpamBackend;
import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.PortKey;
import dev.lbipam.ipam.spi.RejectReason;
import dev.lbipam.ipam.spi.net.IpAddress;
import dev.lbipam.ipam.spi.net.IpFamily;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A small language for ordered, stateful allocator tables: each {@link Scenario} configures a fresh
 * {@link ConfigMapBackend} and plays its steps in order, checking every outcome exactly.
 */
final class Scenarios {
  static final String CLUSTER = "test-cluster";

  private Scenarios() {}

  record Scenario(String description, Map<String, String> config, List<Step> steps) {
    @Override
    public String toString() {
      return description;
    }
  }

  static Scenario scenario(String description, Map<String, String> config, Step... steps) {
    return new Scenario(description, config, List.of(steps));
  }

  sealed interface Step {}

  sealed interface Expected {}

  /** Allocated exactly these addresses, in this order. */
  record Gets(List<String> addresses) implements Expected {}

  /** Rejected for this reason, with a message containing the fragment. */
  record Refused(RejectReason reason, String messageFragment) implements Expected {}

  record Allocate(String service, List<IpFamily> families, FamilyPolicy policy, List<PortKey> ports, Expected expected)
      implements Step {
    @Override
    public String toString() {
      return "allocate " + service + " " + policy + families + " ports=" + ports;
    }
  }

  record Hold(String service, List<String> addresses, List<PortKey> ports, boolean managed, boolean conflict)
      implements Step {
    @Override
    public String toString() {
      return "hold " + service + " " + addresses + " ports=" + ports + (managed ? " managed" : " unmanaged");
    }
  }

  record Release(String service) implements Step {
    @Override
    public String toString() {
      return "release " + service;
    }
  }

  record Configure(Map<String, String> config) implements Step {
    @Override
    public String toString() {
      return "configure " + config;
    }
  }

  static PortKey tcp(int port) {
    return new PortKey("TCP", port);
  }

  static PortKey udp(int port) {
    return new PortKey("UDP", port);
  }

  /** {@code ns/name}; the uid is derived from both, so one name is one owner. */
  static OwnerRef owner(String service) {
    String[] parts = service.split("/", 2);
    return new OwnerRef(CLUSTER, parts[0], parts[1], "uid-" + parts[0] + "-" + parts[1]);
  }

  /** Starts an allocate step: single stack, no ipFamilies, one port TCP/80 unless changed. */
  static AllocateBuilder allocate(String service) {
    return new AllocateBuilder(service);
  }

  static final class AllocateBuilder {
    private final String service;
    private List<IpFamily> families = List.of();
    private FamilyPolicy policy = FamilyPolicy.SINGLE_STACK;
    private List<PortKey> ports = List.of(tcp(80));

    private AllocateBuilder(String service) {
      this.service = service;
    }

    AllocateBuilder ipv4() {
      families = List.of(IpFamily.IPV4);
      return this;
    }

    AllocateBuilder ipv6() {
      families = List.of(IpFamily.IPV6);
      return this;
    }

    AllocateBuilder families(IpFamily... families) {
      this.families = List.of(families);
      return this;
    }

    AllocateBuilder requireDualStack(IpFamily... families) {
      this.policy = FamilyPolicy.REQUIRE_DUAL_STACK;
      this.families = List.of(families);
      return this;
    }

    AllocateBuilder preferDualStack(IpFamily... families) {
      this.policy = FamilyPolicy.PREFER_DUAL_STACK;
      this.families = List.of(families);
      return this;
    }

    AllocateBuilder ports(PortKey... ports) {
      this.ports = List.of(ports);
      return this;
    }

    AllocateBuilder noPorts() {
      this.ports = List.of();
      return this;
    }

    Step gets(String... addresses) {
      return new Allocate(service, families, policy, ports, new Gets(List.of(addresses)));
    }

    Step refused(RejectReason reason, String messageFragment) {
      return new Allocate(service, families, policy, ports, new Refused(reason, messageFragment));
    }
  }

  static Step hold(String service, String... addresses) {
    return new Hold(service, List.of(addresses), List.of(tcp(80)), true, false);
  }

  static Step holdUnmanaged(String service, String... addresses) {
    return new Hold(service, List.of(addresses), List.of(tcp(80)), false, false);
  }

  static Step holdWithPorts(String service, List<PortKey> ports, boolean expectConflict, String... addresses) {
    return new Hold(service, List.of(addresses), ports, true, expectConflict);
  }

  static Step release(String service) {
    return new Release(service);
  }

  static Step configure(Map<String, String> config) {
    return new Configure(config);
  }

  static AllocationRequest request(Allocate step) {
    return new AllocationRequest(owner(step.service()), step.families(), step.policy(), step.ports());
  }

  /** Plays a scenario against a fresh backend. */
  static void play(Scenario scenario) {
    try (IpamBackend backend = new ConfigMapBackend()) {
      backend.configure(Optional.of(scenario.config()));
      int number = 0;
      for (Step step : scenario.steps()) {
        number++;
        String where = "step " + number + ": " + step;
        if (step instanceof Allocate allocate) {
          checkAllocate(backend, allocate, where);
        } else if (step instanceof Hold hold) {
          HoldOutcome outcome =
              backend.hold(
                  new Holding(
                      owner(hold.service()),
                      hold.addresses().stream().map(IpAddress::parse).toList(),
                      hold.ports(),
                      hold.managed()));
          assertThat(outcome)
              .as(where)
              .isInstanceOf(hold.conflict() ? HoldOutcome.Conflicted.class : HoldOutcome.Held.class);
        } else if (step instanceof Release release) {
          backend.release(owner(release.service()));
          assertThat(backend.holdings()).as(where).noneMatch(h -> h.owner().equals(owner(release.service())));
        } else if (step instanceof Configure configure) {
          backend.configure(Optional.of(configure.config()));
        }
      }
    }
  }

  private static void checkAllocate(IpamBackend backend, Allocate step, String where) {
    boolean heldBefore = backend.holdings().stream().anyMatch(h -> h.owner().equals(owner(step.service())));
    AllocationOutcome outcome = backend.allocate(request(step));
    if (step.expected() instanceof Gets gets) {
      assertThat(outcome).as(where).isInstanceOf(Allocated.class);
      assertThat(((Allocated) outcome).addresses()).as(where).map(IpAddress::toString).isEqualTo(gets.addresses());
      assertThat(backend.holdings())
          .as(where + ": the backend records what it returned")
          .filteredOn(h -> h.owner().equals(owner(step.service())))
          .singleElement()
          .satisfies(h -> assertThat(h.addresses()).map(IpAddress::toString).isEqualTo(gets.addresses()));
    } else {
      Refused refused = (Refused) step.expected();
      assertThat(outcome).as(where).isInstanceOf(Rejected.class);
      assertThat(((Rejected) outcome).reason()).as(where + ": " + outcome).isEqualTo(refused.reason());
      assertThat(((Rejected) outcome).message()).as(where).contains(refused.messageFragment());
      assertThat(backend.holdings().stream().anyMatch(h -> h.owner().equals(owner(step.service()))))
          .as(where + ": a refusal records nothing")
          .isEqualTo(heldBefore);
    }
  }
}
