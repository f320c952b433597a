package dev.lbipam.ipam.netbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lbipam.ipam.spi.AllocationOutcome;
import dev.lbipam.ipam.spi.AllocationOutcome.Allocated;
import dev.lbipam.ipam.spi.AllocationRequest;
import dev.lbipam.ipam.spi.BackendContext;
import dev.lbipam.ipam.spi.FamilyPolicy;
import dev.lbipam.ipam.spi.HoldOutcome;
import dev.lbipam.ipam.spi.Holding;
import dev.lbipam.ipam.spi.IpamBackend;
import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.PortKey;
import dev.lbipam.ipam.spi.net.IpAddress;
import dev.lbipam.ipam.spi.net.IpFamily;
import dev.lbipam.testsupport.netbox.HttpCall;
import dev.lbipam.testsupport.netbox.NetBoxStandIn;
import dev.lbipam.testsupport.netbox.NetBoxStandIn.RecordedAddress;
import dev.lbipam.testsupport.netbox.NetBoxUnderTest;
import dev.lbipam.testsupport.netbox.ProxiedRealNetBox;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Two clusters sharing one NetBox prefix while replies are lost or records vanish under the
 * backend's cache: the address a backend returns must be recorded in NetBox for that owner, or
 * the other cluster is given it too. Each test runs on the stand-in and on the real NetBox behind
 * the fault proxy.
 */
class NetBoxBackendFaultIT {
  private static final AtomicInteger AREA = new AtomicInteger();
  private final List<AutoCloseable> opened = new ArrayList<>();

  static Stream<Named<Supplier<NetBoxUnderTest>>> netboxes() {
    return Stream.of(
        Named.of("stand-in", NetBoxStandIn::start),
        Named.of("real NetBox", ProxiedRealNetBox::start));
  }

  @AfterEach
  void close() throws Exception {
    for (int i = opened.size() - 1; i >= 0; i--) {
      opened.get(i).close();
    }
  }

  private NetBoxUnderTest open(Supplier<NetBoxUnderTest> which) {
    NetBoxUnderTest netbox = which.get();
    opened.add(netbox);
    return netbox;
  }

  /** Two clusters' backends on one fresh prefix of one NetBox. */
  private record TwoClusters(NetBoxUnderTest netbox, String one, String two, IpamBackend first, IpamBackend second) {}

  private TwoClusters twoClusters(Supplier<NetBoxUnderTest> which) {
    NetBoxUnderTest netbox = open(which);
    String cidr = prefix(netbox);
    String one = cluster();
    String two = cluster();
    return new TwoClusters(netbox, one, two, backend(netbox, one, cidr), backend(netbox, two, cidr));
  }

  /** A fresh /24 for each test (the real NetBox lives as long as the JVM). */
  private static String prefix(NetBoxUnderTest netbox) {
    String cidr = "10.9" + AREA.get() / 250 + "." + AREA.getAndIncrement() % 250 + ".0/24";
    netbox.createPrefix(cidr);
    return cidr;
  }

  private IpamBackend backend(NetBoxUnderTest netbox, String cluster, String cidr) {
    Map<String, String> options = new HashMap<>();
    options.put("url", netbox.url());
    options.put("retry-backoff", "PT0.01S");
    String token = netbox.controllerToken();
    IpamBackend backend = new NetBoxBackendFactory().create(
        new BackendContext(cluster, options, n -> n.equals(NetBoxSettings.SECRET_TOKEN) ? Optional.of(token) : Optional.empty()));
    opened.add(backend);
    backend.configure(Optional.of(Map.of("netbox-prefix-global", cidr)));
    return backend;
  }

  private static String cluster() {
    return "fault-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static OwnerRef owner(String cluster, String name) {
    return new OwnerRef(cluster, "ns", name, UUID.randomUUID().toString());
  }

  private static IpAddress allocate(IpamBackend backend, OwnerRef owner) {
    AllocationOutcome outcome = backend.allocate(
        new AllocationRequest(owner, List.of(IpFamily.IPV4), FamilyPolicy.SINGLE_STACK, List.of(new PortKey("TCP", 80))));
    assertThat(outcome).as("%s", outcome).isInstanceOf(Allocated.class);
    return ((Allocated) outcome).addresses().get(0);
  }

  /** The hosts NetBox records for this owner. */
  private static List<String> recordedFor(NetBoxUnderTest netbox, OwnerRef owner) {
    String claimPrefix = owner.clusterId() + "/" + owner.namespace() + "/" + owner.name() + "/" + owner.uid() + "/";
    return netbox.addresses().stream()
        .filter(a -> a.customField("lbipam_claim").map(c -> c.startsWith(claimPrefix)).orElse(false))
        .map(RecordedAddress::host).toList();
  }

  private static Optional<RecordedAddress> recordOf(NetBoxUnderTest netbox, IpAddress address) {
    return netbox.addresses().stream().filter(a -> a.host().equals(address.toString())).findFirst();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("netboxes")
  void aReleaseWhoseDeleteReplyIsLostLeavesNothingCachedSoTheAddressIsNotGivenTwice(Supplier<NetBoxUnderTest> which) {
    TwoClusters on = twoClusters(which);
    OwnerRef web = owner(on.one(), "web");
    IpAddress given = allocate(on.first(), web);

    on.netbox().loseReplies(1, HttpCall::isAddressDelete);
    on.first().release(web);
    assertThat(on.netbox().faults().applied()).as("the delete's reply was lost").isEqualTo(1);
    assertThat(recordedFor(on.netbox(), web)).as("released in NetBox").isEmpty();

    theOtherClusterGetsItAndItsOwnerAnother(on, web, given);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("netboxes")
  void aRecordDeletedInNetBoxIsNotReturnedFromTheCacheToItsOwner(Supplier<NetBoxUnderTest> which) {
    TwoClusters on = twoClusters(which);
    OwnerRef web = owner(on.one(), "web");
    IpAddress given = allocate(on.first(), web);

    on.netbox().deleteAddress(recordOf(on.netbox(), given).orElseThrow().id());
    theOtherClusterGetsItAndItsOwnerAnother(on, web, given);
  }

  /**
   * {@code given} is free in NetBox though the first cluster's backend gave it to {@code web}: the
   * other cluster gets it, and web, allocating again, must get another address, recorded for it.
   */
  private static void theOtherClusterGetsItAndItsOwnerAnother(TwoClusters on, OwnerRef web, IpAddress given) {
    OwnerRef other = owner(on.two(), "other");
    assertThat(allocate(on.second(), other)).as("the freed address goes to the other cluster").isEqualTo(given);
    IpAddress again = allocate(on.first(), web);
    assertThat(again).as("the first cluster must not hand out what NetBox no longer holds for it").isNotEqualTo(given);
    assertThat(recordedFor(on.netbox(), web)).containsExactly(again.toString());
    assertThat(recordedFor(on.netbox(), other)).containsExactly(given.toString());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("netboxes")
  void aLostAllocationReplyIsFoundByItsClaimAndNeitherClusterGetsItTwice(Supplier<NetBoxUnderTest> which) {
    TwoClusters on = twoClusters(which);
    OwnerRef web = owner(on.one(), "web");

    on.netbox().loseReplies(1, HttpCall::isAllocation);
    IpAddress given = allocate(on.first(), web);
    assertThat(on.netbox().faults().applied()).isEqualTo(1);
    assertThat(recordedFor(on.netbox(), web)).containsExactly(given.toString());
    assertThat(allocate(on.second(), owner(on.two(), "other"))).isNotEqualTo(given);
    assertThat(allocate(on.first(), web)).as("idempotent for its owner").isEqualTo(given);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("netboxes")
  void anUnmanagedHoldingInAPoolIsReservedUntilReleasedAndGivesWayToAServiceOfTheCluster(Supplier<NetBoxUnderTest> which) {
    TwoClusters on = twoClusters(which);
    OwnerRef web = owner(on.one(), "web");
    IpAddress lowest = allocate(on.first(), web);
    on.first().release(web);

    // As the controller holds an address claimed in the cluster that no Service shows yet.
    OwnerRef standIn = new OwnerRef(on.one(), "ns", "web", "claim/" + lowest);
    assertThat(on.first().hold(new Holding(standIn, List.of(lowest), List.of(), false))).isInstanceOf(HoldOutcome.Held.class);
    assertThat(recordOf(on.netbox(), lowest)).hasValueSatisfying(r -> assertThat(r.status()).isEqualTo("reserved"));
    assertThat(allocate(on.first(), owner(on.one(), "next"))).as("this cluster is not offered it").isNotEqualTo(lowest);
    assertThat(allocate(on.second(), owner(on.two(), "other"))).as("nor is the other cluster").isNotEqualTo(lowest);
    OwnerRef outside = owner(on.one(), "elsewhere");
    assertThat(on.first().hold(new Holding(outside, List.of(IpAddress.parse("192.0.2.77")), List.of(), false)))
        .isInstanceOf(HoldOutcome.Held.class);
    assertThat(recordedFor(on.netbox(), outside)).as("an address outside every pool is not NetBox's business").isEmpty();

    OwnerRef shows = owner(on.one(), "shows-it");
    assertThat(on.first().hold(new Holding(shows, List.of(lowest), List.of(), true))).isInstanceOf(HoldOutcome.Held.class);
    assertThat(recordedFor(on.netbox(), shows)).containsExactly(lowest.toString());
    assertThat(recordedFor(on.netbox(), standIn)).as("the reservation made way").isEmpty();
    assertThat(recordOf(on.netbox(), lowest)).hasValueSatisfying(r -> assertThat(r.status()).isEqualTo("active"));

    OwnerRef kept = owner(on.one(), "kept");
    IpAddress other = allocate(on.first(), kept);
    on.first().release(kept);
    OwnerRef standInTwo = new OwnerRef(on.one(), "ns", "kept", "claim/" + other);
    on.first().hold(new Holding(standInTwo, List.of(other), List.of(), false));
    assertThat(recordedFor(on.netbox(), standInTwo)).containsExactly(other.toString());
    HoldOutcome foreign = on.second().hold(new Holding(owner(on.two(), "mine"), List.of(other), List.of(), true));
    assertThat(foreign).as("another cluster's Service never takes a reservation over").isInstanceOf(HoldOutcome.Conflicted.class);
    assertThat(recordedFor(on.netbox(), standInTwo)).containsExactly(other.toString());
    on.first().release(standInTwo);
    assertThat(recordOf(on.netbox(), other)).as("released with its stand-in").isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("netboxes")
  void aServiceThatIsNoLongerManagedKeepsItsRecordWhileItsPoolIsMissing(Supplier<NetBoxUnderTest> which) {
    TwoClusters on = twoClusters(which);
    OwnerRef web = owner(on.one(), "web");
    IpAddress given = allocate(on.first(), web);
    on.first().configure(Optional.of(Map.of())); // the pool gone from this cluster's ConfigMap, for a moment or for good

    assertThat(on.first().hold(new Holding(web, List.of(given), List.of(), false))).isInstanceOf(HoldOutcome.Held.class);
    assertThat(recordedFor(on.netbox(), web)).as("still in use, so still recorded").containsExactly(given.toString());
    assertThat(allocate(on.second(), owner(on.two(), "other"))).isNotEqualTo(given);
  }
}
