package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lbipam.controller.AddressClaim.Holder;
import dev.lbipam.controller.AddressClaimObject.HolderEntry;
import dev.lbipam.ipam.spi.PortKey;
import dev.lbipam.ipam.spi.net.IpAddress;
import dev.lbipam.ipam.spi.net.IpFamily;
import io.kubernetes.client.openapi.JSON;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import java.math.BigInteger;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.BigRange;
import org.junit.jupiter.api.Test;

/** How claims are named, encoded and read back from AddressClaim objects; no API server needed. */
class AddressClaimsTest {
  /** What the API server accepts as a cluster-scoped object name (a DNS subdomain). */
  private static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  static AddressClaimObject object(String name, List<HolderEntry> holders) {
    return new AddressClaimObject()
        .metadata(new V1ObjectMeta().name(name).resourceVersion("42"))
        .spec(new AddressClaimObject.Spec().address(name).holders(holders));
  }

  static List<HolderEntry> web(String uid) {
    return AddressClaims.entries(List.of(new Holder("ns", "web", uid, List.of(new PortKey("TCP", 80)))));
  }

  @Test
  void theInformersSlimCopyReadsAsTheClaimAndSharesRepeatedValues() {
    List<HolderEntry> holders = new java.util.ArrayList<>(List.of(
        new HolderEntry(new String("shop"), "web", "u-1", List.of(new String("TCP/80"), "UDP/53")),
        new HolderEntry(new String("shop"), "dns", "u-2", null),
        new HolderEntry("shop", "bad", "u-3", List.of("TCP/eighty"))));
    holders.add(null);
    AddressClaimObject full = object("10.0.0.7", holders);
    full.getMetadata().uid("c-1").labels(java.util.Map.of("a", "b"))
        .managedFields(List.of(new io.kubernetes.client.openapi.models.V1ManagedFieldsEntry().manager("lbipam")))
        .creationTimestamp(java.time.OffsetDateTime.parse("2026-12-04T05:00:00Z"));

    AddressClaimObject slim = full.slim();

    assertThat(AddressClaims.toClaim(slim)).isEqualTo(AddressClaims.toClaim(full)).isPresent();
    assertThat(slim.getMetadata().getUid()).isEqualTo("c-1");
    assertThat(slim.getMetadata().getManagedFields()).isNullOrEmpty();
    assertThat(slim.getMetadata().getLabels()).isNullOrEmpty();
    assertThat(slim.getMetadata().getCreationTimestamp()).isNull();
    assertThat(slim.getSpec().getAddress()).isEqualTo("10.0.0.7");
    List<HolderEntry> kept = slim.getSpec().getHolders();
    assertThat(kept.get(0).namespace()).isSameAs(kept.get(1).namespace());
    assertThat(kept.get(0).ports().get(0)).isSameAs("TCP/80");
  }

  @Test
  void aClaimIsNamedOncePerHostInTextTheApiServerAccepts() {
    assertThat(AddressClaim.nameOf(IpAddress.parse("10.0.0.1"))).isEqualTo("10.0.0.1");
    assertThat(AddressClaim.nameOf(IpAddress.parse("::ffff:10.0.0.1"))).as("one host, one claim").isEqualTo("10.0.0.1");
    assertThat(AddressClaim.nameOf(IpAddress.parse("2001:DB8:0:0:0:0:0:1"))).isEqualTo("2001-0db8-0000-0000-0000-0000-0000-0001");
    assertThat(AddressClaim.nameOf(IpAddress.parse("::"))).isEqualTo("0000-0000-0000-0000-0000-0000-0000-0000");
  }

  @Property
  void everyIpv6NameIsAValidObjectNameAndStandsForItsAddress(@ForAll @BigRange(min = "0", max = "340282366920938463463374607431768211455") BigInteger value) {
    IpAddress address = new IpAddress(IpFamily.IPV6, value);
    String name = AddressClaim.nameOf(address);
    assertThat(name).matches(DNS_SUBDOMAIN).hasSizeLessThanOrEqualTo(253);
    assertThat(AddressClaim.addressOf(name)).isEqualTo(address.unmapped());
  }

  @Property
  void everyIpv4NameIsAValidObjectNameAndStandsForItsAddress(@ForAll @BigRange(min = "0", max = "4294967295") BigInteger value) {
    IpAddress address = new IpAddress(IpFamily.IPV4, value);
    String name = AddressClaim.nameOf(address);
    assertThat(name).matches(DNS_SUBDOMAIN);
    assertThat(AddressClaim.addressOf(name)).isEqualTo(address);
  }

  @Test
  void holdersRoundTripThroughTheObject() {
    List<Holder> holders = List.of(
        new Holder("ns", "web", "u1", List.of(new PortKey("TCP", 80), new PortKey("UDP", 53))),
        new Holder("ns", "bare", "u2", List.of()));
    assertThat(AddressClaims.holders(AddressClaims.entries(holders))).isEqualTo(holders);
  }

  @Test
  void theObjectSurvivesTheClientsJsonBothWays() {
    JSON json = new JSON();
    AddressClaimObject sent = object("10.0.0.1", web("u1"));
    String text = json.serialize(sent);
    assertThat(text).contains("\"apiVersion\":\"lbipam.dev/v1alpha1\"", "\"kind\":\"AddressClaim\"", "\"address\":\"10.0.0.1\"",
        "\"ports\":[\"TCP/80\"]");
    AddressClaimObject back = json.deserialize(text, AddressClaimObject.class);
    assertThat(AddressClaims.toClaim(back)).isEqualTo(AddressClaims.toClaim(sent));
  }

  @Test
  void anObjectBecomesAClaimWithItsHolders() {
    AddressClaim claim = AddressClaims.toClaim(object("10.0.0.1", web("u1"))).orElseThrow();
    assertThat(claim.resourceVersion()).isEqualTo("42");
    assertThat(claim.heldBy("u1")).isTrue();
    assertThat(claim.address()).isEqualTo(IpAddress.parse("10.0.0.1"));
    assertThat(claim.describeHolder()).isEqualTo("Service ns/web");
  }

  @Test
  void anUnreadableHolderListLeavesTheAddressTakenByNobodyWeKnow() {
    AddressClaim claim = AddressClaims.toClaim(object("10.0.0.1", List.of(new HolderEntry("ns", null, "u", List.of()))))
        .orElseThrow();
    assertThat(claim.holders()).isEmpty();
    assertThat(claim.describeHolder()).isEqualTo("nobody");
  }

  @Test
  void aHolderWithUnreadablePortsStaysAHolderThatNeverShares() {
    AddressClaim claim = AddressClaims.toClaim(object("10.0.0.1", List.of(
        new HolderEntry("ns", "web", "u1", List.of("TCP/80", "TCP/x")), new HolderEntry("ns", "dns", "u2", List.of("UDP/53")))))
        .orElseThrow();
    assertThat(claim.holders()).containsExactly(
        new Holder("ns", "web", "u1", List.of()), new Holder("ns", "dns", "u2", List.of(new PortKey("UDP", 53))));
  }

  @Test
  void anObjectWhoseNameIsNoClaimNameIsIgnored() {
    assertThat(AddressClaims.toClaim(object("not-an-ip", web("u1")))).isEqualTo(Optional.empty());
    assertThat(AddressClaims.toClaim(object("0000-0000-0000-0000-0000-ffff-0a00-0001", web("u1"))))
        .as("a mapped IPv4 address is claimed under its IPv4 name only").isEqualTo(Optional.empty());
  }

  @Test
  void theIndexAnswersWhoHoldsWhatAndIgnoresAnOlderEcho() {
    AddressClaims claims = new AddressClaims(new io.kubernetes.client.openapi.ApiClient());
    AddressClaimObject newer = object("2001-0db8-0000-0000-0000-0000-0000-0001", web("u1"));
    claims.observed(newer);
    assertThat(claims.addressesOf("u1")).containsExactly(IpAddress.parse("2001:db8::1"));
    assertThat(claims.get(IpAddress.parse("2001:db8::1"))).isPresent();

    AddressClaimObject older = object("2001-0db8-0000-0000-0000-0000-0000-0001", List.of());
    older.getMetadata().resourceVersion("41");
    claims.observed(older);
    claims.observedDeleted(older);
    assertThat(claims.addressesOf("u1")).as("a late echo of an older version changes nothing").hasSize(1);

    claims.observedDeleted(newer);
    assertThat(claims.addressesOf("u1")).isEmpty();
    assertThat(claims.size()).isZero();
  }
}
