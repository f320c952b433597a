package dev.lbipam.ipam.netbox;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure the tag and the two custom fields exist, creating them when missing. Idempotent and
 * safe to run from several replicas at once (a lost creation race is looked up again). Fails with
 * {@link NetBoxApiException} naming the permission the token lacks, or the field that is unfit.
 */
final class NetBoxSetup {
  private static final Logger LOG = LoggerFactory.getLogger(NetBoxSetup.class);
  static final String OBJECT_TYPE = "ipam.ipaddress";

  /**
   * What the set-up found.
   *
   * @param claimUnique whether NetBox enforces one record per claim (the field is unique)
   * @param warnings things an operator should fix, already logged
   */
  record Result(String version, boolean claimUnique, List<String> warnings) {}

  private NetBoxSetup() {}

  static Result ensure(NetBoxClient client, NetBoxSettings settings) {
    String version = client.version();
    List<String> warnings = new ArrayList<>();
    ensureTag(client, settings.tag());
    boolean claimUnique =
        ensureField(client, settings.claimField(), true,
            "lbipam claim: <cluster>/<namespace>/<service>/<uid>/<family>; one address per claim", warnings);
    ensureField(client, settings.clusterField(), false, "lbipam: the Kubernetes cluster holding this address", warnings);
    warnings.forEach(w -> LOG.warn("netbox set-up: {}", w));
    LOG.info("netbox set-up done version={} tag={} claimField={} clusterField={} claimUnique={}", version, settings.tag(),
        settings.claimField(), settings.clusterField(), claimUnique);
    return new Result(version, claimUnique, warnings);
  }

  private static void ensureTag(NetBoxClient client, String slug) {
    if (!findTag(client, slug).isEmpty()) {
      return;
    }
    JsonObject tag = new JsonObject();
    tag.addProperty("name", slug);
    tag.addProperty("slug", slug);
    tag.addProperty("color", "2196f3");
    tag.addProperty("description", "Addresses of Kubernetes LoadBalancer Services, recorded by lbipam");
    NetBoxClient.Reply reply = client.create("setup", "api/extras/tags/", tag);
    if (reply.status() == 201) {
      LOG.info("netbox set-up created tag slug={}", slug);
      return;
    }
    if (reply.status() == 403) {
      throw new NetBoxApiException("netbox set-up: the tag \"" + slug + "\" does not exist and the token may not create it: "
          + "grant permission extras.add_tag, or create the tag (slug " + slug + ") by hand", 403);
    }
    if (findTag(client, slug).isEmpty()) {
      throw new NetBoxApiException("netbox set-up: cannot create tag \"" + slug + "\": " + reply.status() + " " + reply.text(),
          reply.status());
    }
  }

  private static List<JsonObject> findTag(NetBoxClient client, String slug) {
    try {
      return client.findBy("setup", "api/extras/tags/", "slug", slug, "extras.view_tag");
    } catch (NetBoxApiException e) {
      if (e.status() == 403) {
        throw new NetBoxApiException("netbox set-up: the token may not read tags: grant permission extras.view_tag", 403);
      }
      throw e;
    }
  }

  private static List<JsonObject> findField(NetBoxClient client, String name) {
    try {
      return client.findBy("setup", "api/extras/custom-fields/", "name", name, "extras.view_customfield");
    } catch (NetBoxApiException e) {
      if (e.status() == 403) {
        throw new NetBoxApiException(
            "netbox set-up: the token may not read custom fields: grant permission extras.view_customfield", 403);
      }
      throw e;
    }
  }

  /** Returns whether the field is unique. */
  private static boolean ensureField(NetBoxClient client, String name, boolean unique, String description, List<String> warnings) {
    List<JsonObject> found = findField(client, name);
    if (found.isEmpty()) {
      JsonObject field = new JsonObject();
      field.addProperty("name", name);
      field.addProperty("label", name.replace('_', ' '));
      field.addProperty("type", "text");
      JsonArray types = new JsonArray();
      types.add(OBJECT_TYPE);
      field.add("object_types", types);
      field.addProperty("unique", unique);
      field.addProperty("required", false);
      field.addProperty("filter_logic", "exact");
      field.addProperty("ui_editable", "no");
      field.addProperty("description", description);
      NetBoxClient.Reply reply = client.create("setup", "api/extras/custom-fields/", field);
      if (reply.status() == 201) {
        LOG.info("netbox set-up created custom field name={} unique={}", name, unique);
        return unique;
      }
      if (reply.status() == 403) {
        throw new NetBoxApiException("netbox set-up: the custom field \"" + name + "\" does not exist and the token may not "
            + "create it: grant permission extras.add_customfield, or create it by hand (type text, object type "
            + OBJECT_TYPE + ", filter logic exact" + (unique ? ", unique" : "") + ")", 403);
      }
      found = findField(client, name);
      if (found.isEmpty()) {
        throw new NetBoxApiException("netbox set-up: cannot create custom field \"" + name + "\": " + reply.status() + " "
            + reply.text(), reply.status());
      }
    }
    JsonObject field = found.get(0);
    String type = choice(field.get("type")).orElse("");
    if (!type.equals("text")) {
      throw new NetBoxApiException("netbox set-up: custom field \"" + name + "\" has type " + type + "; it must be text", 400);
    }
    List<String> objectTypes = new ArrayList<>();
    JsonElement types = field.has("object_types") ? field.get("object_types") : field.get("content_types");
    if (types != null && types.isJsonArray()) {
      types.getAsJsonArray().forEach(t -> objectTypes.add(t.getAsString()));
    }
    if (!objectTypes.contains(OBJECT_TYPE)) {
      throw new NetBoxApiException("netbox set-up: custom field \"" + name + "\" is not assigned to " + OBJECT_TYPE
          + " (object types: " + objectTypes + "); add it", 400);
    }
    String logic = choice(field.get("filter_logic")).orElse("loose");
    if (logic.equals("disabled")) {
      throw new NetBoxApiException("netbox set-up: custom field \"" + name + "\" has filter logic disabled, so lbipam cannot "
          + "search by it; set it to exact", 400);
    }
    if (!logic.equals("exact")) {
      warnings.add("custom field \"" + name + "\" has filter logic " + logic + "; exact is faster (results are checked either way)");
    }
    boolean isUnique = field.has("unique") && !field.get("unique").isJsonNull() && field.get("unique").getAsBoolean();
    if (unique && !isUnique) {
      warnings.add("custom field \"" + name + "\" is not unique: lbipam still looks every claim up before it allocates, but "
          + "two racing creates could record an address twice; make the field unique");
    }
    return isUnique;
  }

  private static Optional<String> choice(JsonElement e) {
    if (e == null || e.isJsonNull()) {
      return Optional.empty();
    }
    if (e.isJsonObject()) {
      JsonElement value = e.getAsJsonObject().get("value");
      return value == null || value.isJsonNull() ? Optional.empty() : Optional.of(value.getAsString());
    }
    return Optional.of(e.getAsString());
  }
}
