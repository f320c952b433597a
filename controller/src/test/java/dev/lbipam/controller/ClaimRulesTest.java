package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lbipam.controller.AddressClaim.Holder;
import dev.lbipam.controller.ClaimRules.HolderState;
import dev.lbipam.controller.ClaimRules.OnExisting;
import dev.lbipam.controller.ClaimRules.OnRelease;
import dev.lbipam.ipam.spi.PortKey;
import dev.lbipam.ipam.spi.net.IpAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ClaimRulesTest {
  static final Holder WEB = new Holder("ns", "web", "uid-web", List.of(new PortKey("TCP", 80)));
  static final Holder DNS_UDP = new Holder("ns", "dns", "uid-dns", List.of(new PortKey("UDP", 53)));
  static final Holder WEB_TOO = new Holder("ns", "web2", "uid-web2", List.of(new PortKey("TCP", 80)));
  static final Holder NO_PORTS = new Holder("ns", "bare", "uid-bare", List.of());

  static AddressClaim claim(Holder... holders) {
    return new AddressClaim("10.0.0.1", "7", List.of(holders));
  }

  /** A claim whose holder list could not be read (edited by hand). */
  static final AddressClaim UNREADABLE = new AddressClaim("10.0.0.1", "3", List.of());

  record ExistingCase(String description, AddressClaim existing, Holder me, boolean mayShare, OnExisting expected) {
    @Override
    public String toString() {
      return description;
    }
  }

  static Stream<ExistingCase> existing() {
    return Stream.of(
        new ExistingCase("our own claim again is a no-op", claim(WEB), WEB, false, new OnExisting.Mine()),
        new ExistingCase("our own claim, even when sharing", claim(DNS_UDP, WEB), WEB, true, new OnExisting.Mine()),
        new ExistingCase("someone else's claim is taken for a fresh allocation", claim(WEB), DNS_UDP, false,
            new OnExisting.Taken("Service ns/web")),
        new ExistingCase("ports that don't clash may join when sharing is meant", claim(WEB), DNS_UDP, true,
            new OnExisting.Join(List.of(WEB, DNS_UDP))),
        new ExistingCase("ports that clash never join", claim(WEB), WEB_TOO, true, new OnExisting.Taken("Service ns/web")),
        new ExistingCase("a holder without ports never shares", claim(NO_PORTS), WEB, true,
            new OnExisting.Taken("Service ns/bare")),
        new ExistingCase("a newcomer without ports never shares", claim(WEB), NO_PORTS, true,
            new OnExisting.Taken("Service ns/web")),
        new ExistingCase("joining checks every holder", claim(WEB, DNS_UDP), WEB_TOO, true,
            new OnExisting.Taken("Service ns/web")),
        new ExistingCase("a claim without readable holders is always taken", UNREADABLE, WEB, true,
            new OnExisting.Taken("nobody")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("existing")
  void decidesWhatToDoWithAnExistingClaim(ExistingCase c) {
    assertThat(ClaimRules.onExisting(c.existing(), c.me(), c.mayShare())).isEqualTo(c.expected());
  }

  record ReleaseCase(String description, AddressClaim claim, String uid, OnRelease expected) {
    @Override
    public String toString() {
      return description;
    }
  }

  static Stream<ReleaseCase> releases() {
    return Stream.of(
        new ReleaseCase("the last holder deletes the claim", claim(WEB), "uid-web", new OnRelease.Delete()),
        new ReleaseCase("a sharer leaves the others holding it", claim(WEB, DNS_UDP), "uid-web",
            new OnRelease.Leave(List.of(DNS_UDP))),
        new ReleaseCase("a Service that holds nothing does nothing", claim(WEB), "uid-dns", new OnRelease.NotHeld()),
        new ReleaseCase("a claim without readable holders is never released", UNREADABLE, "uid-web", new OnRelease.NotHeld()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("releases")
  void decidesHowAHolderLetsGo(ReleaseCase c) {
    assertThat(ClaimRules.onRelease(c.claim(), c.uid())).isEqualTo(c.expected());
  }

  record StateCase(String description, Optional<ServiceSnapshot> service, HolderState expected) {
    @Override
    public String toString() {
      return description;
    }
  }

  static ServiceSnapshot service(String uid, String type, Optional<String> annotation, boolean deleting) {
    return new ServiceSnapshot("ns", "web", uid, "5", deleting, type, Optional.empty(), annotation, Optional.empty(),
        List.of(), List.of(), Optional.empty(), List.of(new PortKey("TCP", 80)), List.of(), Map.of(), Map.of());
  }

  static Stream<StateCase> states() {
    return Stream.of(
        new StateCase("the Service shows the address", Optional.of(service("uid-web", "LoadBalancer",
            Optional.of("10.0.0.1"), false)), HolderState.LIVE),
        new StateCase("it shows the IPv4-mapped spelling", Optional.of(service("uid-web", "LoadBalancer",
            Optional.of("::ffff:10.0.0.1"), false)), HolderState.LIVE),
        new StateCase("it waits for an address: the claim is its", Optional.of(service("uid-web", "LoadBalancer",
            Optional.empty(), false)), HolderState.LIVE),
        new StateCase("it is being deleted and still shows it", Optional.of(service("uid-web", "LoadBalancer",
            Optional.of("10.0.0.1"), true)), HolderState.LIVE),
        new StateCase("it shows another address", Optional.of(service("uid-web", "LoadBalancer",
            Optional.of("10.0.0.2"), false)), HolderState.STALE),
        new StateCase("it is no longer ours", Optional.of(service("uid-web", "ClusterIP",
            Optional.of("10.0.0.1"), false)), HolderState.STALE),
        new StateCase("a Service of that name with another uid", Optional.of(service("uid-new", "LoadBalancer",
            Optional.of("10.0.0.1"), false)), HolderState.GONE),
        new StateCase("no such Service", Optional.empty(), HolderState.GONE));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("states")
  void judgesWhetherAHolderStillNeedsItsClaim(StateCase c) {
    assertThat(ClaimRules.holderState(WEB, IpAddress.parse("10.0.0.1"), c.service(), new ServiceDecider.Scope(false, "x")))
        .isEqualTo(c.expected());
  }
}
