import { api, onSubmit } from "./api.js";

onSubmit(document.getElementById("setup-form"), async (data) => {
  await api("POST", "/api/v1/setup", {
    token: data.get("token"),
    name: data.get("name"),
    email: data.get("email"),
    password: data.get("password"),
  });
  window.location.assign("/chat");
});
