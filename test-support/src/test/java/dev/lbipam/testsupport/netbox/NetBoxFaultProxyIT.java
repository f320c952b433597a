package dev.lbipam.testsupport.netbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The fault proxy in front of the stand-in: it forwards faithfully, and each fault does what it says. */
class NetBoxFaultProxyIT {
  private static NetBoxStandIn netbox;
  private static NetBoxFaultProxy proxy;
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void start() {
    netbox = NetBoxStandIn.start();
    proxy = NetBoxFaultProxy.to(netbox.url());
  }

  @AfterAll
  static void stop() {
    proxy.close();
    netbox.close();
  }

  private static HttpResponse<String> send(String method, String path, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(proxy.url() + path)).timeout(Duration.ofSeconds(10))
        .header("Authorization", "Token " + NetBoxStandIn.LEGACY_TOKEN).header("Accept", "application/json")
        .header("Content-Type", "application/json");
    request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void forwardsRequestsAndRepliesAndLinksBackThroughTheProxy() throws Exception {
    long id = netbox.createPrefix("10.200.0.0/29");
    HttpResponse<String> allocated = send("POST", "/api/ipam/prefixes/" + id + "/available-ips/", "{\"description\":\"x\"}");
    assertThat(allocated.statusCode()).as(allocated.body()).isEqualTo(201);
    assertThat(allocated.body()).contains("10.200.0.1/29");
    assertThat(netbox.addresses()).anyMatch(a -> a.host().equals("10.200.0.1"));
    HttpResponse<String> listed = send("GET", "/api/ipam/ip-addresses/?limit=1&parent=10.200.0.0/29", null);
    assertThat(listed.statusCode()).isEqualTo(200);
    assertThat(proxy.countCalls(HttpCall::isAllocation)).isEqualTo(1);
    HttpResponse<String> slashless = send("POST", "/api/ipam/ip-addresses", "{}");
    assertThat(slashless.statusCode()).as("the upstream's own answer passes through").isEqualTo(404);
  }

  @Test
  void aLostReplyIsCarriedOutUpstreamButNeverAnswered() throws Exception {
    long id = netbox.createPrefix("10.200.1.0/29");
    proxy.loseReplies(1, HttpCall::isAllocation);
    long before = proxy.faults().applied();
    assertThatThrownBy(() -> send("POST", "/api/ipam/prefixes/" + id + "/available-ips/", "{}")).isInstanceOf(IOException.class);
    assertThat(netbox.addresses()).as("the upstream made the address").anyMatch(a -> a.host().equals("10.200.1.1"));
    assertThat(proxy.faults().applied() - before).isEqualTo(1);
    assertThat(send("POST", "/api/ipam/prefixes/" + id + "/available-ips/", "{}").statusCode()).isEqualTo(201);
  }

  @Test
  void injectedStatusesNeverReachTheUpstreamAndStoppingRefusesConnections() throws Exception {
    long calls = netbox.countCalls(call -> true);
    proxy.failRequests(503, 2);
    assertThat(send("GET", "/api/status/", null).statusCode()).isEqualTo(503);
    assertThat(send("GET", "/api/status/", null).statusCode()).isEqualTo(503);
    assertThat(netbox.countCalls(call -> true)).isEqualTo(calls);
    assertThat(send("GET", "/api/status/", null).statusCode()).isEqualTo(200);

    proxy.stopListening();
    assertThatThrownBy(() -> send("GET", "/api/status/", null)).isInstanceOf(IOException.class);
    proxy.startListening();
    assertThat(send("GET", "/api/status/", null).statusCode()).isEqualTo(200);
  }
}
