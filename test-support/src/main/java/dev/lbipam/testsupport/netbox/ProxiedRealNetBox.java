package dev.lbipam.testsupport.netbox;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.lbipam.testsupport.netbox.NetBoxStandIn.RecordedAddress;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The real NetBox of this JVM ({@link RealNetBox#shared()}) behind a fresh {@link
 * NetBoxFaultProxy}: the controller talks to the proxy with lbipam's least-privilege token, the
 * test's own calls go straight to NetBox with the admin token. Closing closes the proxy only.
 */
public final class ProxiedRealNetBox implements NetBoxUnderTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private final RealNetBox netbox;
  private final NetBoxFaultProxy proxy;

  private ProxiedRealNetBox(RealNetBox netbox) {
    this.netbox = netbox;
    this.proxy = NetBoxFaultProxy.to(netbox.url());
  }

  /** Fails with how to build it when the real NetBox is missing. */
  public static ProxiedRealNetBox start() {
    return new ProxiedRealNetBox(RealNetBox.shared());
  }

  @Override
  public String url() {
    return proxy.url();
  }

  @Override
  public FaultPlan faults() {
    return proxy.faults();
  }

  @Override
  public void stopListening() {
    proxy.stopListening();
  }

  @Override
  public void startListening() {
    proxy.startListening();
  }

  @Override
  public String controllerToken() {
    return netbox.lbipamToken();
  }

  @Override
  public long createPrefix(String cidr) {
    JsonObject body = new JsonObject();
    body.addProperty("prefix", cidr);
    return created(admin("POST", "/api/ipam/prefixes/", body));
  }

  @Override
  public long createAddress(String address, Long vrfId, String description) {
    JsonObject body = new JsonObject();
    body.addProperty("address", address);
    body.addProperty("vrf", vrfId);
    body.addProperty("description", description);
    return created(admin("POST", "/api/ipam/ip-addresses/", body));
  }

  @Override
  public boolean deleteAddress(long id) {
    HttpResponse<String> reply = admin("DELETE", "/api/ipam/ip-addresses/" + id + "/", null);
    return reply.statusCode() == 204;
  }

  @Override
  public List<RecordedAddress> addresses() {
    List<RecordedAddress> all = new ArrayList<>();
    for (int offset = 0; ; offset += 1000) {
      HttpResponse<String> reply = admin("GET", "/api/ipam/ip-addresses/?limit=1000&offset=" + offset, null);
      if (reply.statusCode() != 200) {
        throw new IllegalStateException("listing NetBox addresses: " + reply.statusCode() + " " + reply.body());
      }
      JsonObject page = JsonParser.parseString(reply.body()).getAsJsonObject();
      for (JsonElement element : page.getAsJsonArray("results")) {
        all.add(recorded(element.getAsJsonObject()));
      }
      if (page.get("next").isJsonNull()) {
        return all;
      }
    }
  }

  private static RecordedAddress recorded(JsonObject o) {
    List<String> tags = new ArrayList<>();
    o.getAsJsonArray("tags").forEach(t -> tags.add(t.getAsJsonObject().get("slug").getAsString()));
    Map<String, String> fields = new LinkedHashMap<>();
    o.getAsJsonObject("custom_fields").entrySet()
        .forEach(e -> fields.put(e.getKey(), e.getValue().isJsonNull() ? null : e.getValue().getAsString()));
    JsonElement vrf = o.get("vrf");
    Long vrfId = vrf == null || vrf.isJsonNull() ? null : vrf.getAsJsonObject().get("id").getAsLong();
    JsonElement status = o.get("status");
    return new RecordedAddress(o.get("id").getAsLong(), o.get("address").getAsString(), vrfId,
        status.isJsonObject() ? status.getAsJsonObject().get("value").getAsString() : status.getAsString(),
        o.get("dns_name").getAsString(), o.get("description").getAsString(), tags, fields);
  }

  private HttpResponse<String> admin(String method, String path, JsonObject body) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(netbox.url() + path)).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + netbox.adminToken()).header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body.toString()))
        .build();
    try {
      return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + " on NetBox failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static long created(HttpResponse<String> reply) {
    if (reply.statusCode() != 201) {
      throw new IllegalStateException("NetBox refused: " + reply.statusCode() + " " + reply.body());
    }
    return JsonParser.parseString(reply.body()).getAsJsonObject().get("id").getAsLong();
  }

  @Override
  public void close() {
    proxy.close();
  }

  @Override
  public String toString() {
    return "real NetBox " + netbox.version() + " behind " + proxy.url();
  }
}
