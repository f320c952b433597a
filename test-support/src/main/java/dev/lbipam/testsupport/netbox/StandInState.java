package dev.lbipam.testsupport.netbox;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.math.BigInteger;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The stand-in's data and the REST semantics of the NetBox 4.4+ endpoints lbipam uses. Not
 * thread-safe: {@link NetBoxStandIn} calls it under one lock, which also plays the part of
 * NetBox's global advisory lock, so allocations are serialised.
 */
final class StandInState {
  static final int DEFAULT_PAGE = 50;
  static final int MAX_PAGE = 1000;
  static final Set<String> IP_STATUSES = Set.of("active", "reserved", "deprecated", "dhcp", "slaac");
  static final Set<String> IP_ROLES = Set.of("loopback", "secondary", "anycast", "vip", "vrrp", "hsrp", "glbp", "carp");
  static final Set<String> NONUNIQUE_ROLES = Set.of("anycast", "vip", "vrrp", "hsrp", "glbp", "carp");
  static final Set<String> PREFIX_STATUSES = Set.of("container", "active", "reserved", "deprecated");
  static final Pattern DNS_NAME = Pattern.compile("^([0-9A-Za-z_-]+|\\*)(\\.[0-9A-Za-z_-]+)*\\.?$");
  static final Pattern CF_NAME = Pattern.compile("^[a-z0-9_]+$");
  static final String IPADDRESS_TYPE = "ipam.ipaddress";

  /** A reply: status, JSON body (null for none) and extra headers. */
  record Reply(int status, JsonElement body, Map<String, String> headers) {
    static Reply of(int status, JsonElement body) {
      return new Reply(status, body, Map.of());
    }

    static Reply detail(int status, String detail) {
      JsonObject o = new JsonObject();
      o.addProperty("detail", detail);
      return of(status, o);
    }
  }

  /** One parsed request. {@code query} keeps repeated parameters. */
  record Request(
      String method, String path, Map<String, List<String>> query, JsonElement body, Predicate<String> can, String baseUrl,
      Optional<String> ifMatch) {

    Optional<String> first(String name) {
      List<String> values = query.get(name);
      return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }

    List<String> all(String name) {
      return query.getOrDefault(name, List.of());
    }
  }

  static final class Vrf {
    long id;
    String name;
    String rd;
    boolean enforceUnique = true;
  }

  static final class Prefix {
    long id;
    Inet prefix;
    Long vrf;
    boolean isPool;
    String status = "active";
    String description = "";
    Set<Long> tags = new LinkedHashSet<>();
  }

  static final class Range {
    long id;
    Inet start;
    Inet end;
    Long vrf;
    boolean markPopulated;
    String status = "active";
    String description = "";
    Set<Long> tags = new LinkedHashSet<>();
  }

  static final class Address {
    long id;
    Inet address;
    Long vrf;
    String status = "active";
    String role;
    String dnsName = "";
    String description = "";
    Set<Long> tags = new LinkedHashSet<>();
    Map<String, JsonElement> customFields = new LinkedHashMap<>();
    Instant created;
    Instant lastUpdated;
    long version;
  }

  static final class Tag {
    long id;
    String name;
    String slug;
    String color = "9e9e9e";
    String description = "";
  }

  static final class CustomField {
    long id;
    String name;
    String label = "";
    String type = "text";
    List<String> objectTypes = new ArrayList<>();
    boolean unique;
    boolean required;
    String filterLogic = "loose";
    String description = "";
    String uiEditable = "yes";
  }

  final String version;
  final boolean etags;
  private long nextId = 1;
  final Map<Long, Vrf> vrfs = new TreeMap<>();
  final Map<Long, Prefix> prefixes = new TreeMap<>();
  final Map<Long, Range> ranges = new TreeMap<>();
  final Map<Long, Address> addresses = new TreeMap<>();
  final Map<Long, Tag> tags = new TreeMap<>();
  final Map<Long, CustomField> customFields = new TreeMap<>();
  /** (family, value) -> addresses with that host value, any VRF: the "child IPs" index. */
  private final TreeMap<Inet, List<Address>> byHost = new TreeMap<>();

  StandInState(String version, boolean etags) {
    this.version = version;
    this.etags = etags;
  }

  /** Whether this stand-in's NetBox version is at least {@code other} (dotted numbers). */
  boolean atLeast(String other) {
    return compareVersions(version, other) >= 0;
  }

  static int compareVersions(String a, String b) {
    String[] x = a.split("\\.");
    String[] y = b.split("\\.");
    for (int i = 0; i < Math.max(x.length, y.length); i++) {
      int diff = Integer.compare(i < x.length ? Integer.parseInt(x[i]) : 0, i < y.length ? Integer.parseInt(y[i]) : 0);
      if (diff != 0) {
        return diff;
      }
    }
    return 0;
  }

  /** A time after {@code previous}: NetBox's ETag is the last_updated time, so every change moves it. */
  static Instant after(Instant previous) {
    Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
    return previous != null && !now.isAfter(previous) ? previous.plus(1, java.time.temporal.ChronoUnit.MICROS) : now;
  }

  long nextId() {
    return nextId++;
  }

  // ---------------------------------------------------------------------------------------------
  // Routing

  private static final Pattern ROUTE =
      Pattern.compile("^/api/(ipam|extras)/([a-z-]+)/(?:(\\d+)/)?(?:(available-ips)/)?$");

  Reply handle(Request request) {
    if (request.path().equals("/api/")) {
      JsonObject root = new JsonObject();
      root.addProperty("ipam", request.baseUrl() + "/api/ipam/");
      root.addProperty("extras", request.baseUrl() + "/api/extras/");
      return Reply.of(200, root);
    }
    if (request.path().equals("/api/status/")) {
      if (!request.method().equals("GET")) {
        return Reply.detail(405, "Method \"" + request.method() + "\" not allowed.");
      }
      JsonObject status = new JsonObject();
      status.addProperty("netbox-version", version);
      status.addProperty("python-version", "3.12.0");
      status.add("plugins", new JsonObject());
      status.addProperty("rq-workers-running", 1);
      return Reply.of(200, status);
    }
    Matcher m = ROUTE.matcher(request.path());
    if (!m.matches()) {
      return Reply.detail(404, "Not found.");
    }
    String app = m.group(1);
    String endpoint = m.group(2);
    Long id = m.group(3) == null ? null : Long.parseLong(m.group(3));
    boolean available = m.group(4) != null;
    String model =
        switch (app + "/" + endpoint) {
          case "ipam/vrfs" -> "ipam.vrf";
          case "ipam/prefixes" -> "ipam.prefix";
          case "ipam/ip-ranges" -> "ipam.iprange";
          case "ipam/ip-addresses" -> "ipam.ipaddress";
          case "extras/tags" -> "extras.tag";
          case "extras/custom-fields" -> "extras.customfield";
          default -> null;
        };
    if (model == null || (available && !(model.equals("ipam.prefix") || model.equals("ipam.iprange")))) {
      return Reply.detail(404, "Not found.");
    }
    if (available) {
      return availableIps(request, model, id);
    }
    String action =
        switch (request.method()) {
          case "GET" -> "view";
          case "POST" -> "add";
          case "PATCH", "PUT" -> "change";
          case "DELETE" -> "delete";
          default -> null;
        };
    if (action == null || (id == null && !Set.of("GET", "POST").contains(request.method()))
        || (id != null && request.method().equals("POST"))) {
      return Reply.detail(405, "Method \"" + request.method() + "\" not allowed.");
    }
    if (!request.can().test(permission(model, action))) {
      return Reply.detail(403, "You do not have permission to perform this action.");
    }
    return switch (model) {
      case "ipam.vrf" -> vrfs(request, id);
      case "ipam.prefix" -> prefixes(request, id);
      case "ipam.iprange" -> ranges(request, id);
      case "ipam.ipaddress" -> ipAddresses(request, id);
      case "extras.tag" -> tagsEndpoint(request, id);
      default -> customFieldsEndpoint(request, id);
    };
  }

  static String permission(String model, String action) {
    int dot = model.indexOf('.');
    return model.substring(0, dot) + "." + action + "_" + model.substring(dot + 1);
  }

  // ---------------------------------------------------------------------------------------------
  // Lists, filters, pagination

  private <T> Reply list(Request request, List<T> items, java.util.function.Function<T, JsonObject> render) {
    int limit = DEFAULT_PAGE;
    Optional<String> limitText = request.first("limit");
    if (limitText.isPresent()) {
      try {
        int asked = Integer.parseInt(limitText.get());
        limit = asked <= 0 ? MAX_PAGE : Math.min(asked, MAX_PAGE);
      } catch (NumberFormatException ignored) {
        // DRF falls back to the default page size
      }
    }
    int offset = 0;
    try {
      offset = Math.max(0, Integer.parseInt(request.first("offset").orElse("0")));
    } catch (NumberFormatException ignored) {
      // as DRF
    }
    JsonObject page = new JsonObject();
    page.addProperty("count", items.size());
    int end = Math.min(items.size(), offset + limit);
    page.add("next", end < items.size() ? new JsonPrimitive(pageUrl(request, limit, end)) : JsonNull.INSTANCE);
    page.add(
        "previous",
        offset > 0 ? new JsonPrimitive(pageUrl(request, limit, Math.max(0, offset - limit))) : JsonNull.INSTANCE);
    JsonArray results = new JsonArray();
    for (int i = offset; i < end; i++) {
      results.add(render.apply(items.get(i)));
    }
    page.add("results", results);
    return Reply.of(200, page);
  }

  private static String pageUrl(Request request, int limit, int offset) {
    StringBuilder url = new StringBuilder(request.baseUrl()).append(request.path()).append('?');
    for (Map.Entry<String, List<String>> e : request.query().entrySet()) {
      if (e.getKey().equals("limit") || e.getKey().equals("offset")) {
        continue;
      }
      for (String v : e.getValue()) {
        url.append(enc(e.getKey())).append('=').append(enc(v)).append('&');
      }
    }
    url.append("limit=").append(limit).append("&offset=").append(offset);
    return url.toString();
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** Applies a multi-value (OR) filter when the parameter is present. */
  private static <T> List<T> anyOf(List<T> items, Request request, String name, java.util.function.BiPredicate<T, String> test) {
    List<String> values = request.all(name);
    if (values.isEmpty()) {
      return items;
    }
    return items.stream().filter(item -> values.stream().anyMatch(v -> test.test(item, v))).toList();
  }

  private static boolean idMatches(long id, String text) {
    try {
      return id == Long.parseLong(text.trim());
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /** A {@code vrf_id} filter naming no VRF is a 400, as django-filter answers, not an empty list. */
  private Optional<Reply> unknownVrf(Request request) {
    for (String value : request.all("vrf_id")) {
      if (!value.equals("null") && vrfs.keySet().stream().noneMatch(id -> idMatches(id, value))) {
        JsonObject body = new JsonObject();
        JsonArray messages = new JsonArray();
        messages.add("Select a valid choice. " + value + " is not one of the available choices.");
        body.add("vrf_id", messages);
        return Optional.of(Reply.of(400, body));
      }
    }
    return Optional.empty();
  }

  private static boolean vrfMatches(Long vrf, String text) {
    if (text.equals("null")) {
      return vrf == null;
    }
    return vrf != null && idMatches(vrf, text);
  }

  private static boolean hostMatches(Inet address, String text) {
    try {
      Inet wanted = Inet.parse(text);
      return wanted.family() == address.family() && wanted.value().equals(address.value());
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** {@code ?tag=a&tag=b}: all must be present; an unknown slug is a 400, as in NetBox. */
  private Optional<Reply> tagFilter(Request request, List<Set<Long>> holder) {
    List<String> slugs = request.all("tag");
    Set<Long> wanted = new LinkedHashSet<>();
    for (String slug : slugs) {
      Optional<Tag> tag = tags.values().stream().filter(t -> t.slug.equals(slug)).findFirst();
      if (tag.isEmpty()) {
        JsonObject errors = new JsonObject();
        errors.add("tag", strings("Select a valid choice. " + slug + " is not one of the available choices."));
        return Optional.of(Reply.of(400, errors));
      }
      wanted.add(tag.get().id);
    }
    holder.add(wanted);
    return Optional.empty();
  }

  // ---------------------------------------------------------------------------------------------
  // VRFs

  private Reply vrfs(Request request, Long id) {
    if (id != null) {
      Vrf vrf = vrfs.get(id);
      if (vrf == null) {
        return Reply.detail(404, "No VRF matches the given query.");
      }
      if (request.method().equals("DELETE")) {
        vrfs.remove(id);
        return Reply.of(204, null);
      }
      return Reply.of(200, renderVrf(request.baseUrl(), vrf, false));
    }
    if (request.method().equals("POST")) {
      JsonObject in = objectBody(request);
      if (in == null) {
        return badBody();
      }
      String name = string(in, "name");
      if (name == null || name.isBlank()) {
        return fieldError("name", "This field is required.");
      }
      Vrf vrf = new Vrf();
      vrf.id = nextId();
      vrf.name = name;
      vrf.rd = string(in, "rd");
      if (in.has("enforce_unique") && in.get("enforce_unique").isJsonPrimitive()) {
        vrf.enforceUnique = in.get("enforce_unique").getAsBoolean();
      }
      vrfs.put(vrf.id, vrf);
      return Reply.of(201, renderVrf(request.baseUrl(), vrf, false));
    }
    List<Vrf> items = new ArrayList<>(vrfs.values());
    items = anyOf(items, request, "id", (v, t) -> idMatches(v.id, t));
    items = anyOf(items, request, "name", (v, t) -> v.name.equals(t));
    items = anyOf(items, request, "rd", (v, t) -> t.equals(v.rd));
    return list(request, items, v -> renderVrf(request.baseUrl(), v, false));
  }

  JsonObject renderVrf(String base, Vrf vrf, boolean brief) {
    JsonObject o = new JsonObject();
    o.addProperty("id", vrf.id);
    o.addProperty("url", base + "/api/ipam/vrfs/" + vrf.id + "/");
    o.addProperty("display", vrf.name);
    o.addProperty("name", vrf.name);
    o.add("rd", vrf.rd == null ? JsonNull.INSTANCE : new JsonPrimitive(vrf.rd));
    o.addProperty("description", "");
    if (!brief) {
      o.addProperty("enforce_unique", vrf.enforceUnique);
      o.add("tags", new JsonArray());
      o.add("custom_fields", new JsonObject());
    }
    return o;
  }

  // ---------------------------------------------------------------------------------------------
  // Prefixes

  private Reply prefixes(Request request, Long id) {
    if (id != null) {
      Prefix prefix = prefixes.get(id);
      if (prefix == null) {
        return Reply.detail(404, "No Prefix matches the given query.");
      }
      if (request.method().equals("DELETE")) {
        prefixes.remove(id);
        return Reply.of(204, null);
      }
      if (request.method().equals("PATCH")) {
        JsonObject in = objectBody(request);
        if (in == null) {
          return badBody();
        }
        if (in.has("is_pool")) {
          prefix.isPool = in.get("is_pool").getAsBoolean();
        }
        if (in.has("status")) {
          prefix.status = string(in, "status");
        }
        return Reply.of(200, renderPrefix(request.baseUrl(), prefix));
      }
      return Reply.of(200, renderPrefix(request.baseUrl(), prefix));
    }
    if (request.method().equals("POST")) {
      JsonObject in = objectBody(request);
      if (in == null) {
        return badBody();
      }
      return createPrefix(request.baseUrl(), in);
    }
    List<Set<Long>> tagHolder = new ArrayList<>();
    Optional<Reply> tagError = tagFilter(request, tagHolder);
    if (tagError.isPresent()) {
      return tagError.get();
    }
    List<Prefix> items = new ArrayList<>(prefixes.values());
    items.sort(Comparator.comparing((Prefix p) -> p.vrf == null ? 0L : p.vrf).thenComparing(p -> p.prefix).thenComparing(p -> p.id));
    items = anyOf(items, request, "id", (p, t) -> idMatches(p.id, t));
    Optional<Reply> badVrf = unknownVrf(request);
    if (badVrf.isPresent()) {
      return badVrf.get();
    }
    items = anyOf(items, request, "vrf_id", (p, t) -> vrfMatches(p.vrf, t));
    items = anyOf(items, request, "prefix", (p, t) -> {
      try {
        Inet asked = Inet.parse(t);
        return asked.family() == p.prefix.family() && asked.maskLength() == p.prefix.maskLength()
            && asked.networkValue().equals(p.prefix.value());
      } catch (IllegalArgumentException e) {
        return false;
      }
    });
    items = anyOf(items, request, "status", (p, t) -> p.status.equals(t));
    items = anyOf(items, request, "family", (p, t) -> t.equals(String.valueOf(p.prefix.family())));
    Set<Long> wantedTags = tagHolder.get(0);
    items = items.stream().filter(p -> p.tags.containsAll(wantedTags)).toList();
    return list(request, items, p -> renderPrefix(request.baseUrl(), p));
  }

  Reply createPrefix(String base, JsonObject in) {
    String text = string(in, "prefix");
    if (text == null) {
      return fieldError("prefix", "This field is required.");
    }
    Inet parsed;
    try {
      parsed = Inet.parse(text);
    } catch (IllegalArgumentException e) {
      return fieldError("prefix", "Enter a valid IPv4 or IPv6 address with optional mask.");
    }
    if (parsed.maskLength() == 0) {
      return fieldError("prefix", "Cannot create prefix with /0 mask.");
    }
    Prefix prefix = new Prefix();
    prefix.prefix = parsed.withValue(parsed.networkValue());
    Optional<Reply> vrfError = readVrf(in, v -> prefix.vrf = v);
    if (vrfError.isPresent()) {
      return vrfError.get();
    }
    if (in.has("is_pool") && !in.get("is_pool").isJsonNull()) {
      prefix.isPool = in.get("is_pool").getAsBoolean();
    }
    String status = string(in, "status");
    if (status != null) {
      if (!PREFIX_STATUSES.contains(status)) {
        return fieldError("status", "\"" + status + "\" is not a valid choice.");
      }
      prefix.status = status;
    }
    prefix.description = Objects.requireNonNullElse(string(in, "description"), "");
    boolean unique = prefix.vrf == null || vrfs.get(prefix.vrf).enforceUnique;
    if (unique && prefixes.values().stream().anyMatch(p -> Objects.equals(p.vrf, prefix.vrf) && p.prefix.equals(prefix.prefix))) {
      return fieldError("prefix", "Duplicate prefix found in " + table(prefix.vrf) + ": " + prefix.prefix.withMaskText());
    }
    Optional<Reply> tagError = readTags(in, prefix.tags);
    if (tagError.isPresent()) {
      return tagError.get();
    }
    prefix.id = nextId();
    prefixes.put(prefix.id, prefix);
    return Reply.of(201, renderPrefix(base, prefix));
  }

  JsonObject renderPrefix(String base, Prefix p) {
    JsonObject o = new JsonObject();
    o.addProperty("id", p.id);
    o.addProperty("url", base + "/api/ipam/prefixes/" + p.id + "/");
    o.addProperty("display", p.prefix.withMaskText());
    o.add("family", family(p.prefix.family()));
    o.addProperty("prefix", p.prefix.withMaskText());
    o.add("vrf", p.vrf == null ? JsonNull.INSTANCE : renderVrf(base, vrfs.get(p.vrf), true));
    o.add("status", choice(p.status));
    o.addProperty("is_pool", p.isPool);
    o.addProperty("mark_utilized", false);
    o.addProperty("description", p.description);
    o.add("tags", renderTags(base, p.tags));
    o.add("custom_fields", new JsonObject());
    return o;
  }

  // ---------------------------------------------------------------------------------------------
  // IP ranges

  private Reply ranges(Request request, Long id) {
    if (id != null) {
      Range range = ranges.get(id);
      if (range == null) {
        return Reply.detail(404, "No IP Range matches the given query.");
      }
      if (request.method().equals("DELETE")) {
        ranges.remove(id);
        return Reply.of(204, null);
      }
      if (request.method().equals("PATCH")) {
        JsonObject in = objectBody(request);
        if (in == null) {
          return badBody();
        }
        if (in.has("mark_populated")) {
          range.markPopulated = in.get("mark_populated").getAsBoolean();
        }
        return Reply.of(200, renderRange(request.baseUrl(), range));
      }
      return Reply.of(200, renderRange(request.baseUrl(), range));
    }
    if (request.method().equals("POST")) {
      JsonObject in = objectBody(request);
      if (in == null) {
        return badBody();
      }
      return createRange(request.baseUrl(), in);
    }
    List<Set<Long>> tagHolder = new ArrayList<>();
    Optional<Reply> tagError = tagFilter(request, tagHolder);
    if (tagError.isPresent()) {
      return tagError.get();
    }
    List<Range> items = new ArrayList<>(ranges.values());
    items.sort(Comparator.comparing((Range r) -> r.vrf == null ? 0L : r.vrf).thenComparing(r -> r.start).thenComparing(r -> r.id));
    items = anyOf(items, request, "id", (r, t) -> idMatches(r.id, t));
    Optional<Reply> badVrf = unknownVrf(request);
    if (badVrf.isPresent()) {
      return badVrf.get();
    }
    items = anyOf(items, request, "vrf_id", (r, t) -> vrfMatches(r.vrf, t));
    items = anyOf(items, request, "start_address", (r, t) -> hostMatches(r.start, t));
    items = anyOf(items, request, "end_address", (r, t) -> hostMatches(r.end, t));
    Set<Long> wantedTags = tagHolder.get(0);
    items = items.stream().filter(r -> r.tags.containsAll(wantedTags)).toList();
    return list(request, items, r -> renderRange(request.baseUrl(), r));
  }

  Reply createRange(String base, JsonObject in) {
    Inet start;
    Inet end;
    try {
      start = Inet.parse(Objects.requireNonNull(string(in, "start_address")));
    } catch (RuntimeException e) {
      return fieldError("start_address", "Enter a valid IPv4 or IPv6 address with optional mask.");
    }
    try {
      end = Inet.parse(Objects.requireNonNull(string(in, "end_address")));
    } catch (RuntimeException e) {
      return fieldError("end_address", "Enter a valid IPv4 or IPv6 address with optional mask.");
    }
    if (start.family() != end.family()) {
      return fieldError("end_address", "Starting and ending IP address versions must match");
    }
    if (start.maskLength() != end.maskLength()) {
      return fieldError("end_address", "Starting and ending IP address masks must match");
    }
    if (end.value().compareTo(start.value()) <= 0) {
      return fieldError("end_address", "Ending address must be greater than the starting address (" + start.host() + ")");
    }
    Range range = new Range();
    range.start = start;
    range.end = end;
    Optional<Reply> vrfError = readVrf(in, v -> range.vrf = v);
    if (vrfError.isPresent()) {
      return vrfError.get();
    }
    for (Range other : ranges.values()) {
      if (Objects.equals(other.vrf, range.vrf) && other.start.family() == start.family()
          && other.start.value().compareTo(end.value()) <= 0 && start.value().compareTo(other.end.value()) <= 0) {
        JsonObject errors = new JsonObject();
        errors.add("__all__", strings("Defined addresses overlap with range " + other.start.host() + "-" + other.end.host()
            + " in VRF " + (range.vrf == null ? "None" : vrfs.get(range.vrf).name)));
        return Reply.of(400, errors);
      }
    }
    if (in.has("mark_populated") && !in.get("mark_populated").isJsonNull()) {
      range.markPopulated = in.get("mark_populated").getAsBoolean();
    }
    range.description = Objects.requireNonNullElse(string(in, "description"), "");
    Optional<Reply> tagError = readTags(in, range.tags);
    if (tagError.isPresent()) {
      return tagError.get();
    }
    range.id = nextId();
    ranges.put(range.id, range);
    return Reply.of(201, renderRange(base, range));
  }

  JsonObject renderRange(String base, Range r) {
    JsonObject o = new JsonObject();
    o.addProperty("id", r.id);
    o.addProperty("url", base + "/api/ipam/ip-ranges/" + r.id + "/");
    o.addProperty("display", r.start.withMaskText() + "-" + r.end.host());
    o.add("family", family(r.start.family()));
    o.addProperty("start_address", r.start.withMaskText());
    o.addProperty("end_address", r.end.withMaskText());
    o.addProperty("size", r.end.value().subtract(r.start.value()).add(BigInteger.ONE));
    o.add("vrf", r.vrf == null ? JsonNull.INSTANCE : renderVrf(base, vrfs.get(r.vrf), true));
    o.add("status", choice(r.status));
    o.addProperty("mark_populated", r.markPopulated);
    o.addProperty("mark_utilized", false);
    o.addProperty("description", r.description);
    o.add("tags", renderTags(base, r.tags));
    o.add("custom_fields", new JsonObject());
    return o;
  }

  // ---------------------------------------------------------------------------------------------
  // What is free

  /**
   * Walks the used host values of one family from {@code from} upwards, in order, yielding those
   * that count as used for a parent in {@code vrf} (every VRF for a global container).
   */
  private final class UsedWalk {
    private final java.util.Iterator<Map.Entry<Inet, List<Address>>> entries;
    private final int family;
    private final Long vrf;
    private final boolean allVrfs;
    private BigInteger next;

    UsedWalk(int family, BigInteger from, Long vrf, boolean allVrfs) {
      this.entries = byHost.tailMap(new Inet(family, from, Inet.bits(family)), true).entrySet().iterator();
      this.family = family;
      this.vrf = vrf;
      this.allVrfs = allVrfs;
      advance();
    }

    private void advance() {
      next = null;
      while (entries.hasNext()) {
        Map.Entry<Inet, List<Address>> e = entries.next();
        if (e.getKey().family() != family) {
          return;
        }
        if (allVrfs || e.getValue().stream().anyMatch(a -> Objects.equals(a.vrf, vrf))) {
          next = e.getKey().value();
          return;
        }
      }
    }

    /** Whether {@code value} is used; values must be asked in ascending order. */
    boolean used(BigInteger value) {
      while (next != null && next.compareTo(value) < 0) {
        advance();
      }
      return next != null && next.equals(value);
    }
  }

  /** The lowest {@code count} free addresses of a prefix, in order (fewer when it is full). */
  List<BigInteger> freeInPrefix(Prefix p, int count) {
    int family = p.prefix.family();
    int length = p.prefix.maskLength();
    BigInteger first = p.prefix.value();
    BigInteger last = p.prefix.lastValue();
    boolean whole = (family == 6 && length >= 127) || p.isPool || (family == 4 && length >= 31);
    List<Range> populated =
        ranges.values().stream()
            .filter(r -> r.markPopulated && Objects.equals(r.vrf, p.vrf) && r.start.family() == family
                && r.start.value().compareTo(first) >= 0 && r.end.value().compareTo(last) <= 0)
            .sorted(Comparator.comparing(r -> r.start.value()))
            .toList();
    boolean allVrfs = p.vrf == null && p.status.equals("container");
    UsedWalk used = new UsedWalk(family, first, p.vrf, allVrfs);
    List<BigInteger> free = new ArrayList<>();
    BigInteger candidate = first;
    while (candidate.compareTo(last) <= 0 && free.size() < count) {
      if (!whole && (candidate.equals(first) || (family == 4 && candidate.equals(last)))) {
        candidate = candidate.add(BigInteger.ONE);
        continue;
      }
      BigInteger c = candidate;
      Optional<Range> inside =
          populated.stream().filter(r -> r.start.value().compareTo(c) <= 0 && c.compareTo(r.end.value()) <= 0).findFirst();
      if (inside.isPresent()) {
        candidate = inside.get().end.value().add(BigInteger.ONE);
        continue;
      }
      if (!used.used(candidate)) {
        free.add(candidate);
      }
      candidate = candidate.add(BigInteger.ONE);
    }
    return free;
  }

  List<BigInteger> freeInRange(Range r, int count) {
    List<BigInteger> free = new ArrayList<>();
    if (r.markPopulated) {
      return free;
    }
    UsedWalk used = new UsedWalk(r.start.family(), r.start.value(), r.vrf, false);
    BigInteger candidate = r.start.value();
    while (candidate.compareTo(r.end.value()) <= 0 && free.size() < count) {
      if (!used.used(candidate)) {
        free.add(candidate);
      }
      candidate = candidate.add(BigInteger.ONE);
    }
    return free;
  }

  private Reply availableIps(Request request, String model, Long id) {
    boolean prefix = model.equals("ipam.prefix");
    if (!request.can().test(permission(model, "view"))) {
      return Reply.detail(403, "You do not have permission to perform this action.");
    }
    Prefix p = prefix ? prefixes.get(id) : null;
    Range r = prefix ? null : ranges.get(id);
    if (p == null && r == null) {
      return Reply.detail(404, "Not found.");
    }
    int family = prefix ? p.prefix.family() : r.start.family();
    int mask = prefix ? p.prefix.maskLength() : r.start.maskLength();
    Long vrf = prefix ? p.vrf : r.vrf;
    if (request.method().equals("GET")) {
      int limit = DEFAULT_PAGE;
      try {
        limit = Math.min(MAX_PAGE, Integer.parseInt(request.first("limit").orElse(String.valueOf(DEFAULT_PAGE))));
      } catch (NumberFormatException ignored) {
        // default
      }
      List<BigInteger> free = prefix ? freeInPrefix(p, limit) : freeInRange(r, limit);
      JsonArray out = new JsonArray();
      for (BigInteger value : free) {
        JsonObject o = new JsonObject();
        o.addProperty("family", family);
        o.addProperty("address", new Inet(family, value, mask).withMaskText());
        o.add("vrf", vrf == null ? JsonNull.INSTANCE : renderVrf(request.baseUrl(), vrfs.get(vrf), true));
        out.add(o);
      }
      return Reply.of(200, out);
    }
    if (!request.method().equals("POST")) {
      return Reply.detail(405, "Method \"" + request.method() + "\" not allowed.");
    }
    if (!request.can().test("ipam.add_ipaddress")) {
      return Reply.detail(403, "You do not have permission to perform this action.");
    }
    JsonElement body = request.body() == null ? new JsonObject() : request.body();
    boolean many = body.isJsonArray();
    List<JsonObject> wanted = new ArrayList<>();
    if (many) {
      for (JsonElement e : body.getAsJsonArray()) {
        if (!e.isJsonObject()) {
          return badBody();
        }
        wanted.add(e.getAsJsonObject());
      }
    } else if (body.isJsonObject()) {
      wanted.add(body.getAsJsonObject());
    } else {
      return badBody();
    }
    List<BigInteger> free = prefix ? freeInPrefix(p, wanted.size()) : freeInRange(r, wanted.size());
    if (free.size() < wanted.size()) {
      return Reply.detail(409, "Insufficient resources are available to satisfy the request");
    }
    List<Address> created = new ArrayList<>();
    JsonArray errors = new JsonArray();
    boolean failed = false;
    List<Address> pending = new ArrayList<>();
    for (int i = 0; i < wanted.size(); i++) {
      Object result = validateAddress(wanted.get(i), new Inet(family, free.get(i), mask), vrf, true, pending);
      if (result instanceof JsonObject error) {
        errors.add(error);
        failed = true;
      } else {
        errors.add(new JsonObject());
        pending.add((Address) result);
      }
    }
    if (failed) {
      return Reply.of(400, many ? errors : firstNonEmpty(errors));
    }
    for (Address a : pending) {
      insert(a);
      created.add(a);
    }
    if (!many) {
      return Reply.of(201, renderAddress(request.baseUrl(), created.get(0)));
    }
    JsonArray out = new JsonArray();
    created.forEach(a -> out.add(renderAddress(request.baseUrl(), a)));
    return Reply.of(201, out);
  }

  private static JsonElement firstNonEmpty(JsonArray errors) {
    for (JsonElement e : errors) {
      if (e.getAsJsonObject().size() > 0) {
        return e;
      }
    }
    return new JsonObject();
  }

  // ---------------------------------------------------------------------------------------------
  // IP addresses

  private Reply ipAddresses(Request request, Long id) {
    if (id != null) {
      Address a = addresses.get(id);
      if (a == null) {
        return Reply.detail(404, "No IP Address matches the given query.");
      }
      if (!request.method().equals("GET") && etags && request.ifMatch().isPresent()
          && !request.ifMatch().get().equals(etag(a))) {
        return Reply.detail(412, "Precondition failed: the object has been modified since it was last retrieved.");
      }
      if (request.method().equals("DELETE")) {
        remove(a);
        return Reply.of(204, null);
      }
      if (request.method().equals("PATCH") || request.method().equals("PUT")) {
        JsonObject in = objectBody(request);
        if (in == null) {
          return badBody();
        }
        return patchAddress(request.baseUrl(), a, in);
      }
      return withEtag(Reply.of(200, renderAddress(request.baseUrl(), a)), a);
    }
    if (request.method().equals("POST")) {
      JsonElement body = request.body() == null ? new JsonObject() : request.body();
      boolean many = body.isJsonArray();
      List<JsonObject> items = new ArrayList<>();
      if (many) {
        body.getAsJsonArray().forEach(e -> items.add(e.isJsonObject() ? e.getAsJsonObject() : new JsonObject()));
      } else if (body.isJsonObject()) {
        items.add(body.getAsJsonObject());
      } else {
        return badBody();
      }
      JsonArray errors = new JsonArray();
      List<Address> pending = new ArrayList<>();
      boolean failed = false;
      for (JsonObject in : items) {
        Object result = validateAddress(in, null, null, false, pending);
        if (result instanceof JsonObject error) {
          errors.add(error);
          failed = true;
        } else {
          errors.add(new JsonObject());
          pending.add((Address) result);
        }
      }
      if (failed) {
        return Reply.of(400, many ? errors : firstNonEmpty(errors));
      }
      pending.forEach(this::insert);
      if (!many) {
        return Reply.of(201, renderAddress(request.baseUrl(), pending.get(0)));
      }
      JsonArray out = new JsonArray();
      pending.forEach(a -> out.add(renderAddress(request.baseUrl(), a)));
      return Reply.of(201, out);
    }
    List<Set<Long>> tagHolder = new ArrayList<>();
    Optional<Reply> tagError = tagFilter(request, tagHolder);
    if (tagError.isPresent()) {
      return tagError.get();
    }
    List<Address> items = new ArrayList<>(addresses.values());
    items.sort(Comparator.comparing((Address a) -> a.address).thenComparing(a -> a.id));
    items = anyOf(items, request, "id", (a, t) -> idMatches(a.id, t));
    Optional<Reply> badVrf = unknownVrf(request);
    if (badVrf.isPresent()) {
      return badVrf.get();
    }
    items = anyOf(items, request, "vrf_id", (a, t) -> vrfMatches(a.vrf, t));
    items = anyOf(items, request, "address", (a, t) -> hostMatches(a.address, t));
    items = anyOf(items, request, "status", (a, t) -> a.status.equals(t));
    items = anyOf(items, request, "dns_name", (a, t) -> a.dnsName.equals(t));
    items = anyOf(items, request, "parent", (a, t) -> {
      try {
        Inet parent = Inet.parse(t);
        return parent.family() == a.address.family()
            && a.address.value().compareTo(parent.networkValue()) >= 0
            && a.address.value().compareTo(parent.lastValue()) <= 0;
      } catch (IllegalArgumentException e) {
        return false;
      }
    });
    for (CustomField cf : customFields.values()) {
      if (!cf.objectTypes.contains(IPADDRESS_TYPE) || cf.filterLogic.equals("disabled")) {
        continue; // not a registered filter: silently ignored, like every unknown parameter
      }
      boolean exact = cf.filterLogic.equals("exact");
      items = anyOf(items, request, "cf_" + cf.name, (a, t) -> {
        JsonElement v = a.customFields.get(cf.name);
        if (v == null || v.isJsonNull()) {
          return false;
        }
        String value = v.getAsString();
        return exact ? value.equals(t) : value.toLowerCase(Locale.ROOT).contains(t.toLowerCase(Locale.ROOT));
      });
    }
    Set<Long> wantedTags = tagHolder.get(0);
    items = items.stream().filter(a -> a.tags.containsAll(wantedTags)).toList();
    return list(request, items, a -> renderAddress(request.baseUrl(), a));
  }

  /** NetBox 4.6+: a weak ETag of the record's last_updated time. */
  String etag(Address a) {
    return "W/\"" + a.lastUpdated + "\"";
  }

  private Reply withEtag(Reply reply, Address a) {
    return etags ? new Reply(reply.status(), reply.body(), Map.of("ETag", etag(a))) : reply;
  }

  private Reply patchAddress(String base, Address a, JsonObject in) {
    Address copy = copy(a);
    if (in.has("address")) {
      try {
        copy.address = Inet.parse(string(in, "address"));
      } catch (RuntimeException e) {
        return fieldError("address", "Enter a valid IPv4 or IPv6 address with optional mask.");
      }
    }
    if (in.has("status")) {
      String status = string(in, "status");
      if (!IP_STATUSES.contains(status)) {
        return fieldError("status", "\"" + status + "\" is not a valid choice.");
      }
      copy.status = status;
    }
    if (in.has("description")) {
      copy.description = Objects.requireNonNullElse(string(in, "description"), "");
    }
    if (in.has("dns_name")) {
      copy.dnsName = Objects.requireNonNullElse(string(in, "dns_name"), "");
    }
    if (in.has("tags")) {
      copy.tags = new LinkedHashSet<>();
      Optional<Reply> tagError = readTags(in, copy.tags);
      if (tagError.isPresent()) {
        return tagError.get();
      }
    }
    if (in.has("custom_fields") && in.get("custom_fields").isJsonObject()) {
      for (Map.Entry<String, JsonElement> e : in.getAsJsonObject("custom_fields").entrySet()) {
        copy.customFields.put(e.getKey(), e.getValue());
      }
    }
    Optional<JsonObject> error = clean(copy, a.id);
    if (error.isPresent()) {
      return Reply.of(400, error.get());
    }
    remove(a);
    copy.lastUpdated = after(a.lastUpdated);
    copy.version = a.version + 1;
    insert(copy);
    return withEtag(Reply.of(200, renderAddress(base, copy)), copy);
  }

  private static Address copy(Address a) {
    Address c = new Address();
    c.id = a.id;
    c.address = a.address;
    c.vrf = a.vrf;
    c.status = a.status;
    c.role = a.role;
    c.dnsName = a.dnsName;
    c.description = a.description;
    c.tags = new LinkedHashSet<>(a.tags);
    c.customFields = new LinkedHashMap<>(a.customFields);
    c.created = a.created;
    c.lastUpdated = a.lastUpdated;
    c.version = a.version;
    return c;
  }

  /**
   * Deserialises and validates one IP address. With {@code forced}, the address and VRF come from
   * the parent (whatever the body says), as NetBox's available-ips view does. Returns the new
   * (not yet inserted) {@link Address} or a JSON error object. {@code pending} are earlier
   * elements of the same bulk request.
   */
  Object validateAddress(JsonObject in, Inet forcedAddress, Long forcedVrf, boolean forced, List<Address> pending) {
    Address a = new Address();
    if (forced) {
      a.address = forcedAddress;
      a.vrf = forcedVrf;
    } else {
      String text = string(in, "address");
      if (text == null) {
        return errorObject("address", "This field is required.");
      }
      try {
        a.address = Inet.parse(text);
      } catch (IllegalArgumentException e) {
        return errorObject("address", "Enter a valid IPv4 or IPv6 address with optional mask.");
      }
      if (a.address.maskLength() == 0) {
        return errorObject("address", "Cannot create IP address with /0 mask.");
      }
      Long[] vrf = new Long[1];
      Optional<Reply> vrfError = readVrf(in, v -> vrf[0] = v);
      if (vrfError.isPresent()) {
        return vrfError.get().body();
      }
      a.vrf = vrf[0];
    }
    String status = string(in, "status");
    if (status != null) {
      if (!IP_STATUSES.contains(status)) {
        return errorObject("status", "\"" + status + "\" is not a valid choice.");
      }
      a.status = status;
    }
    String role = string(in, "role");
    if (role != null && !role.isEmpty()) {
      if (!IP_ROLES.contains(role)) {
        return errorObject("role", "\"" + role + "\" is not a valid choice.");
      }
      a.role = role;
    }
    a.dnsName = Objects.requireNonNullElse(string(in, "dns_name"), "");
    a.description = Objects.requireNonNullElse(string(in, "description"), "");
    Optional<Reply> tagError = readTags(in, a.tags);
    if (tagError.isPresent()) {
      return tagError.get().body();
    }
    JsonElement cfs = in.get("custom_fields");
    if (cfs != null && !cfs.isJsonNull()) {
      if (!cfs.isJsonObject()) {
        return errorObject("custom_fields", "Invalid data. Expected a dictionary.");
      }
      for (Map.Entry<String, JsonElement> e : cfs.getAsJsonObject().entrySet()) {
        a.customFields.put(e.getKey(), e.getValue());
      }
    }
    Optional<JsonObject> error = clean(a, null);
    if (error.isPresent()) {
      return error.get();
    }
    for (Address other : pending) {
      if (other.address.family() == a.address.family() && other.address.value().equals(a.address.value())
          && Objects.equals(other.vrf, a.vrf)) {
        return errorObject("address", "Duplicate IP address found in " + table(a.vrf) + ": " + other.address.withMaskText());
      }
    }
    a.id = nextId();
    a.created = after(null);
    a.lastUpdated = a.created;
    return a;
  }

  /** Model-level validation: dns_name, custom fields (known, typed, unique, required), duplicates. */
  private Optional<JsonObject> clean(Address a, Long selfId) {
    if (!a.dnsName.isEmpty() && (!DNS_NAME.matcher(a.dnsName).matches() || a.dnsName.length() > 255)) {
      return Optional.of(errorObject(
          "dns_name", "Only alphanumeric characters, asterisks, hyphens, periods, and underscores are allowed in DNS names"));
    }
    if (a.description.length() > 200) {
      return Optional.of(errorObject("description", "Ensure this field has no more than 200 characters."));
    }
    Map<String, CustomField> known =
        customFields.values().stream()
            .filter(cf -> cf.objectTypes.contains(IPADDRESS_TYPE))
            .collect(Collectors.toMap(cf -> cf.name, cf -> cf));
    for (Map.Entry<String, JsonElement> e : List.copyOf(a.customFields.entrySet())) {
      CustomField cf = known.get(e.getKey());
      if (cf == null) {
        if (!atLeast("4.5.8")) {
          // Up to 4.5.7 NetBox drops data for custom fields it does not know, and answers 201.
          a.customFields.remove(e.getKey());
          continue;
        }
        return Optional.of(errorObject("custom_fields", "Unknown field name '" + e.getKey() + "' in custom field data."));
      }
      JsonElement v = e.getValue();
      if (v != null && !v.isJsonNull() && cf.type.equals("text")
          && !(v.isJsonPrimitive() && v.getAsJsonPrimitive().isString())) {
        return Optional.of(errorObject("custom_fields", "Invalid value for custom field '" + cf.name + "': Value must be a string."));
      }
    }
    for (CustomField cf : known.values()) {
      JsonElement v = a.customFields.get(cf.name);
      boolean empty = v == null || v.isJsonNull() || (v.isJsonPrimitive() && v.getAsString().isEmpty());
      if (cf.required && empty) {
        return Optional.of(errorObject("custom_fields", "Required field cannot be empty."));
      }
      if (cf.unique && !empty) {
        boolean clash = addresses.values().stream()
            .anyMatch(o -> !Objects.equals(o.id, selfId) && v.equals(o.customFields.get(cf.name)));
        if (clash) {
          return Optional.of(errorObject("non_field_errors", "Custom field '" + cf.name + "' must have a unique value."));
        }
      }
    }
    boolean enforce = a.vrf == null || vrfs.get(a.vrf).enforceUnique;
    if (enforce) {
      List<Address> same = byHost.getOrDefault(new Inet(a.address.family(), a.address.value(), Inet.bits(a.address.family())), List.of());
      List<Address> duplicates = same.stream().filter(o -> Objects.equals(o.vrf, a.vrf) && !Objects.equals(o.id, selfId)).toList();
      boolean exempt = a.role != null && NONUNIQUE_ROLES.contains(a.role)
          && duplicates.stream().allMatch(d -> d.role != null && NONUNIQUE_ROLES.contains(d.role));
      if (!duplicates.isEmpty() && !exempt) {
        return Optional.of(errorObject(
            "address", "Duplicate IP address found in " + table(a.vrf) + ": " + duplicates.get(0).address.withMaskText()));
      }
    }
    return Optional.empty();
  }

  private String table(Long vrf) {
    return vrf == null ? "global table" : "VRF " + vrfs.get(vrf).name;
  }

  void insert(Address a) {
    addresses.put(a.id, a);
    byHost.computeIfAbsent(hostKey(a), k -> new ArrayList<>()).add(a);
  }

  void remove(Address a) {
    addresses.remove(a.id);
    List<Address> same = byHost.get(hostKey(a));
    if (same != null) {
      same.removeIf(o -> o.id == a.id);
      if (same.isEmpty()) {
        byHost.remove(hostKey(a));
      }
    }
  }

  private static Inet hostKey(Address a) {
    return new Inet(a.address.family(), a.address.value(), Inet.bits(a.address.family()));
  }

  JsonObject renderAddress(String base, Address a) {
    JsonObject o = new JsonObject();
    o.addProperty("id", a.id);
    o.addProperty("url", base + "/api/ipam/ip-addresses/" + a.id + "/");
    o.addProperty("display", a.address.withMaskText());
    o.add("family", family(a.address.family()));
    o.addProperty("address", a.address.withMaskText());
    o.add("vrf", a.vrf == null ? JsonNull.INSTANCE : renderVrf(base, vrfs.get(a.vrf), true));
    o.add("tenant", JsonNull.INSTANCE);
    o.add("status", choice(a.status));
    o.add("role", a.role == null ? JsonNull.INSTANCE : choice(a.role));
    o.add("assigned_object_type", JsonNull.INSTANCE);
    o.add("assigned_object_id", JsonNull.INSTANCE);
    o.add("assigned_object", JsonNull.INSTANCE);
    o.add("nat_inside", JsonNull.INSTANCE);
    o.add("nat_outside", new JsonArray());
    o.addProperty("dns_name", a.dnsName);
    o.addProperty("description", a.description);
    o.addProperty("comments", "");
    o.add("tags", renderTags(base, a.tags));
    JsonObject cfs = new JsonObject();
    for (CustomField cf : customFields.values()) {
      if (cf.objectTypes.contains(IPADDRESS_TYPE)) {
        JsonElement v = a.customFields.get(cf.name);
        cfs.add(cf.name, v == null ? JsonNull.INSTANCE : v);
      }
    }
    o.add("custom_fields", cfs);
    o.addProperty("created", a.created.toString());
    o.addProperty("last_updated", a.lastUpdated.toString());
    return o;
  }

  // ---------------------------------------------------------------------------------------------
  // Tags and custom fields

  private Reply tagsEndpoint(Request request, Long id) {
    if (id != null) {
      Tag tag = tags.get(id);
      if (tag == null) {
        return Reply.detail(404, "No Tag matches the given query.");
      }
      if (request.method().equals("DELETE")) {
        tags.remove(id);
        return Reply.of(204, null);
      }
      return Reply.of(200, renderTag(request.baseUrl(), tag, false));
    }
    if (request.method().equals("POST")) {
      JsonObject in = objectBody(request);
      if (in == null) {
        return badBody();
      }
      String name = string(in, "name");
      String slug = string(in, "slug");
      if (name == null || name.isBlank()) {
        return fieldError("name", "This field is required.");
      }
      if (slug == null || slug.isBlank()) {
        return fieldError("slug", "This field is required.");
      }
      if (!slug.matches("^[-a-zA-Z0-9_]+$")) {
        return fieldError("slug", "Enter a valid \u201cslug\u201d consisting of letters, numbers, underscores or hyphens.");
      }
      if (tags.values().stream().anyMatch(t -> t.name.equals(name))) {
        return fieldError("name", "tag with this name already exists.");
      }
      if (tags.values().stream().anyMatch(t -> t.slug.equals(slug))) {
        return fieldError("slug", "tag with this slug already exists.");
      }
      Tag tag = new Tag();
      tag.id = nextId();
      tag.name = name;
      tag.slug = slug;
      tag.color = Objects.requireNonNullElse(string(in, "color"), tag.color);
      tag.description = Objects.requireNonNullElse(string(in, "description"), "");
      tags.put(tag.id, tag);
      return Reply.of(201, renderTag(request.baseUrl(), tag, false));
    }
    List<Tag> items = new ArrayList<>(tags.values());
    items = anyOf(items, request, "id", (t, v) -> idMatches(t.id, v));
    items = anyOf(items, request, "name", (t, v) -> t.name.equals(v));
    items = anyOf(items, request, "slug", (t, v) -> t.slug.equals(v));
    return list(request, items, t -> renderTag(request.baseUrl(), t, false));
  }

  JsonObject renderTag(String base, Tag t, boolean brief) {
    JsonObject o = new JsonObject();
    o.addProperty("id", t.id);
    o.addProperty("url", base + "/api/extras/tags/" + t.id + "/");
    o.addProperty("display", t.name);
    o.addProperty("name", t.name);
    o.addProperty("slug", t.slug);
    o.addProperty("color", t.color);
    if (!brief) {
      o.addProperty("description", t.description);
      o.add("object_types", new JsonArray());
    }
    return o;
  }

  private JsonArray renderTags(String base, Set<Long> ids) {
    JsonArray out = new JsonArray();
    for (Long id : ids) {
      Tag t = tags.get(id);
      if (t != null) {
        out.add(renderTag(base, t, true));
      }
    }
    return out;
  }

  private Reply customFieldsEndpoint(Request request, Long id) {
    if (id != null) {
      CustomField cf = customFields.get(id);
      if (cf == null) {
        return Reply.detail(404, "No Custom Field matches the given query.");
      }
      if (request.method().equals("DELETE")) {
        customFields.remove(id);
        for (Address a : addresses.values()) {
          a.customFields.remove(cf.name);
        }
        return Reply.of(204, null);
      }
      if (request.method().equals("PATCH")) {
        JsonObject in = objectBody(request);
        if (in == null) {
          return badBody();
        }
        if (in.has("unique")) {
          cf.unique = in.get("unique").getAsBoolean();
        }
        if (in.has("filter_logic")) {
          cf.filterLogic = string(in, "filter_logic");
        }
        return Reply.of(200, renderCustomField(request.baseUrl(), cf));
      }
      return Reply.of(200, renderCustomField(request.baseUrl(), cf));
    }
    if (request.method().equals("POST")) {
      JsonObject in = objectBody(request);
      if (in == null) {
        return badBody();
      }
      String name = string(in, "name");
      if (name == null || name.isBlank()) {
        return fieldError("name", "This field is required.");
      }
      if (!CF_NAME.matcher(name).matches() || name.contains("__")) {
        return fieldError("name", "Only alphanumeric characters and underscores are allowed.");
      }
      if (customFields.values().stream().anyMatch(c -> c.name.equals(name))) {
        return fieldError("name", "custom field with this name already exists.");
      }
      String type = string(in, "type");
      if (type == null) {
        return fieldError("type", "This field is required.");
      }
      if (!Set.of("text", "longtext", "integer", "boolean").contains(type)) {
        return fieldError("type", "\"" + type + "\" is not a valid choice.");
      }
      JsonElement types = in.get("object_types");
      if (types == null || !types.isJsonArray() || types.getAsJsonArray().isEmpty()) {
        return fieldError("object_types", "This field is required.");
      }
      CustomField cf = new CustomField();
      for (JsonElement t : types.getAsJsonArray()) {
        String value = t.getAsString();
        if (!value.matches("^[a-z]+\\.[a-z]+$")) {
          return fieldError("object_types", "Invalid object type: " + value);
        }
        cf.objectTypes.add(value);
      }
      String logic = string(in, "filter_logic");
      if (logic != null) {
        if (!Set.of("disabled", "loose", "exact").contains(logic)) {
          return fieldError("filter_logic", "\"" + logic + "\" is not a valid choice.");
        }
        cf.filterLogic = logic;
      }
      String ui = string(in, "ui_editable");
      if (ui != null) {
        if (!Set.of("yes", "no", "hidden").contains(ui)) {
          return fieldError("ui_editable", "\"" + ui + "\" is not a valid choice.");
        }
        cf.uiEditable = ui;
      }
      cf.id = nextId();
      cf.name = name;
      cf.type = type;
      cf.label = Objects.requireNonNullElse(string(in, "label"), "");
      cf.description = Objects.requireNonNullElse(string(in, "description"), "");
      cf.unique = in.has("unique") && !in.get("unique").isJsonNull() && in.get("unique").getAsBoolean();
      cf.required = in.has("required") && !in.get("required").isJsonNull() && in.get("required").getAsBoolean();
      customFields.put(cf.id, cf);
      return Reply.of(201, renderCustomField(request.baseUrl(), cf));
    }
    List<CustomField> items = new ArrayList<>(customFields.values());
    items = anyOf(items, request, "id", (c, v) -> idMatches(c.id, v));
    items = anyOf(items, request, "name", (c, v) -> c.name.equals(v));
    return list(request, items, c -> renderCustomField(request.baseUrl(), c));
  }

  JsonObject renderCustomField(String base, CustomField cf) {
    JsonObject o = new JsonObject();
    o.addProperty("id", cf.id);
    o.addProperty("url", base + "/api/extras/custom-fields/" + cf.id + "/");
    o.addProperty("display", cf.label.isEmpty() ? cf.name : cf.label);
    JsonArray types = new JsonArray();
    cf.objectTypes.forEach(types::add);
    o.add("object_types", types);
    JsonObject type = new JsonObject();
    type.addProperty("value", cf.type);
    type.addProperty("label", cf.type.substring(0, 1).toUpperCase(Locale.ROOT) + cf.type.substring(1));
    o.add("type", type);
    o.addProperty("name", cf.name);
    o.addProperty("label", cf.label);
    o.addProperty("description", cf.description);
    o.addProperty("required", cf.required);
    o.addProperty("unique", cf.unique);
    o.add("filter_logic", choice(cf.filterLogic));
    o.add("ui_editable", choice(cf.uiEditable));
    return o;
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private Optional<Reply> readVrf(JsonObject in, java.util.function.Consumer<Long> set) {
    JsonElement v = in.get("vrf");
    if (v == null || v.isJsonNull()) {
      set.accept(null);
      return Optional.empty();
    }
    Long id = null;
    if (v.isJsonPrimitive()) {
      try {
        id = v.getAsLong();
      } catch (NumberFormatException e) {
        return Optional.of(fieldError("vrf", "Related objects must be referenced by numeric ID or by dictionary of attributes."));
      }
    } else if (v.isJsonObject()) {
      JsonObject ref = v.getAsJsonObject();
      if (ref.has("id")) {
        id = ref.get("id").getAsLong();
      } else if (ref.has("name")) {
        String name = ref.get("name").getAsString();
        id = vrfs.values().stream().filter(x -> x.name.equals(name)).map(x -> x.id).findFirst().orElse(-1L);
      }
    }
    if (id == null || !vrfs.containsKey(id)) {
      return Optional.of(fieldError("vrf", "Related object not found using the provided attributes: " + v));
    }
    set.accept(id);
    return Optional.empty();
  }

  private Optional<Reply> readTags(JsonObject in, Set<Long> into) {
    JsonElement list = in.get("tags");
    if (list == null || list.isJsonNull()) {
      return Optional.empty();
    }
    if (!list.isJsonArray()) {
      return Optional.of(fieldError("tags", "Expected a list of items but got type \"" + list + "\"."));
    }
    for (JsonElement element : list.getAsJsonArray()) {
      Optional<Tag> tag = Optional.empty();
      if (element.isJsonPrimitive()) {
        try {
          tag = Optional.ofNullable(tags.get(element.getAsLong()));
        } catch (NumberFormatException ignored) {
          tag = Optional.empty();
        }
      } else if (element.isJsonObject()) {
        JsonObject ref = element.getAsJsonObject();
        tag = tags.values().stream()
            .filter(t -> (!ref.has("slug") || t.slug.equals(ref.get("slug").getAsString()))
                && (!ref.has("name") || t.name.equals(ref.get("name").getAsString()))
                && (!ref.has("id") || t.id == ref.get("id").getAsLong())
                && (ref.has("slug") || ref.has("name") || ref.has("id")))
            .findFirst();
      }
      if (tag.isEmpty()) {
        return Optional.of(fieldError("tags", "Related object not found using the provided attributes: " + element));
      }
      into.add(tag.get().id);
    }
    return Optional.empty();
  }

  private static JsonObject objectBody(Request request) {
    return request.body() != null && request.body().isJsonObject() ? request.body().getAsJsonObject() : null;
  }

  private static Reply badBody() {
    JsonObject o = new JsonObject();
    o.add("non_field_errors", strings("Invalid data. Expected a dictionary, but got list."));
    return Reply.of(400, o);
  }

  private static String string(JsonObject in, String name) {
    JsonElement e = in.get(name);
    if (e == null || e.isJsonNull()) {
      return null;
    }
    return e.isJsonPrimitive() ? e.getAsString() : e.toString();
  }

  static JsonArray strings(String... messages) {
    JsonArray a = new JsonArray();
    for (String m : messages) {
      a.add(m);
    }
    return a;
  }

  static JsonObject errorObject(String field, String message) {
    JsonObject o = new JsonObject();
    o.add(field, strings(message));
    return o;
  }

  static Reply fieldError(String field, String message) {
    return Reply.of(400, errorObject(field, message));
  }

  private static JsonObject family(int family) {
    JsonObject o = new JsonObject();
    o.addProperty("value", family);
    o.addProperty("label", "IPv" + family);
    return o;
  }

  private static JsonObject choice(String value) {
    JsonObject o = new JsonObject();
    o.addProperty("value", value);
    o.addProperty("label", value.substring(0, 1).toUpperCase(Locale.ROOT) + value.substring(1));
    return o;
  }
}
