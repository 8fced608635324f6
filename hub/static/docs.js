// /docs: Swagger UI (vendored swagger-ui-dist) over /v2/openapi.json. "Try it out" sends the
// requests to this hub with the key pasted below (a sandbox key from the dashboard).
window.addEventListener("load", function () {
  var input = document.getElementById("try-key");
  var saved = window.sessionStorage.getItem("ivalid-try-key");
  if (saved) input.value = saved;
  input.addEventListener("change", function () {
    window.sessionStorage.setItem("ivalid-try-key", input.value.trim());
  });
  window.ui = SwaggerUIBundle({
    url: "/v2/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    tryItOutEnabled: false,
    requestInterceptor: function (request) {
      var key = input.value.trim();
      if (key && !request.headers.Authorization) request.headers.Authorization = "Bearer " + key;
      return request;
    },
  });
});
