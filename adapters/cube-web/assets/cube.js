// Cube's one script of its own (served from /app/assets, so the pages' CSP needs no
// 'unsafe-inline'): the login form, logout, and the seller's keyboard.
"use strict";

(function () {
  // ---- login: the page's form posts to the API's /api/login (one login, one throttle) ----
  function setUpLogin() {
    var form = document.getElementById("login");
    if (!form) return;
    var error = document.getElementById("login-error");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      var label = button.textContent;
      button.disabled = true;
      button.textContent = form.dataset.busy || label;
      error.hidden = true;
      fetch("/api/login", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Requested-With": "cube" },
        body: JSON.stringify({
          email: form.elements.email.value,
          password: form.elements.password.value,
        }),
        credentials: "same-origin",
      })
        .then(function (response) {
          if (response.ok) {
            window.location.assign("/app");
            return null;
          }
          if (response.status === 401) return { detail: form.dataset.badLogin };
          return response.json().catch(function () {
            return { detail: response.statusText };
          });
        })
        .then(function (problem) {
          if (!problem) return;
          error.textContent = problem.detail || problem.title || form.dataset.badLogin;
          error.hidden = false;
          button.disabled = false;
          button.textContent = label;
          form.elements.password.focus();
        })
        .catch(function (failure) {
          error.textContent = String(failure);
          error.hidden = false;
          button.disabled = false;
          button.textContent = label;
        });
    });
  }

  // A form that creates something through the JSON API (a new user: the password is hashed
  // where every password is). Fields become a JSON object; repeated names (checkboxes)
  // become arrays when the name ends in "s"; empty fields are left out.
  function setUpApiForms() {
    document.querySelectorAll("form[data-api]").forEach(function (form) {
      var error = form.querySelector(".problem");
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var body = {};
        new FormData(form).forEach(function (value, name) {
          if (value === "") return;
          if (/s$/.test(name)) {
            (body[name] = body[name] || []).push(value);
          } else {
            body[name] = value;
          }
        });
        fetch(form.dataset.api, {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-Requested-With": "cube" },
          body: JSON.stringify(body),
          credentials: "same-origin",
        })
          .then(function (response) {
            if (response.ok) {
              window.location.assign(form.dataset.done || window.location.pathname);
              return null;
            }
            return response.json().catch(function () {
              return { detail: response.statusText };
            });
          })
          .then(function (problem) {
            if (!problem || !error) return;
            error.textContent = problem.detail || problem.title || String(problem);
            error.hidden = false;
          });
      });
    });
  }

  function setUpLogout() {
    var button = document.getElementById("logout");
    if (!button) return;
    button.addEventListener("click", function () {
      fetch("/api/logout", {
        method: "POST",
        headers: { "X-Requested-With": "cube" },
        credentials: "same-origin",
      }).finally(function () {
        window.location.assign("/app/login");
      });
    });
  }

  // ---- the outcome form: show what the chosen outcome needs ----
  function choose(form, radio) {
    radio.checked = true;
    var id = radio.value;
    form.querySelectorAll("fieldset.extra").forEach(function (set) {
      var on = set.dataset.for === id;
      set.hidden = !on;
      set.disabled = !on;
    });
    var needs = {
      "follow-up": !!radio.dataset.followUp,
      products: !!radio.dataset.products,
      meeting: !!radio.dataset.meeting,
    };
    form.querySelectorAll("fieldset.needs").forEach(function (set) {
      var on = !!needs[set.dataset.needs];
      set.hidden = !on;
      set.disabled = !on;
    });
    form.querySelectorAll("[data-hint]").forEach(function (hint) {
      hint.hidden = hint.dataset.hint !== radio.dataset.followUp;
    });
    // Focus the first thing this outcome asks for; otherwise stay on the outcome.
    var first = form.querySelector(
      "fieldset.extra:not([disabled]) select, fieldset.extra:not([disabled]) input, " +
        "fieldset.needs:not([disabled]) select, fieldset.needs:not([disabled]) input"
    );
    (first || radio).focus();
  }

  function typing(element) {
    if (!element) return false;
    var tag = element.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    if (tag !== "INPUT") return element.isContentEditable;
    return !["radio", "checkbox", "button", "submit"].includes(element.type);
  }

  function click(id) {
    var element = document.getElementById(id);
    if (element && !element.disabled) {
      element.click();
      return true;
    }
    return false;
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.name === "outcome" && target.form && target.form.id === "outcome-form") {
      choose(target.form, target);
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var form = document.getElementById("outcome-form");
    var active = document.activeElement;
    if (event.key === "Escape") {
      if (active && active.blur) active.blur();
      return;
    }
    if (event.key === "Enter") {
      // Enter registers from anywhere in the form but a note (a line break there).
      if (form && active && form.contains(active) && active.tagName !== "TEXTAREA" &&
          active.tagName !== "BUTTON") {
        event.preventDefault();
        form.requestSubmit();
      }
      return;
    }
    if (typing(active)) return;
    if (event.key === "n") {
      if (click("next")) event.preventDefault();
    } else if (event.key === "r") {
      if (click("release")) event.preventDefault();
    } else if (event.key === "k") {
      if (click("open-card")) event.preventDefault();
    } else if (form && /^[1-9]$/.test(event.key)) {
      var radio = form.querySelector('input[name=outcome][data-key="' + event.key + '"]');
      if (radio) {
        event.preventDefault();
        choose(form, radio);
      }
    }
  });

  // After a registration, a release or an empty queue the next customer is one key (or
  // Enter) away: the focus goes back to "next customer".
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "work" &&
        !document.getElementById("outcome-form")) {
      var next = document.getElementById("next");
      if (next) next.focus();
    }
  });

  // A new problem replaces the old one; a request in flight clears it.
  document.addEventListener("htmx:beforeRequest", function () {
    var slot = document.getElementById("problem");
    if (slot) slot.textContent = "";
  });

  document.addEventListener("DOMContentLoaded", function () {
    setUpLogin();
    setUpLogout();
    setUpApiForms();
  });
})();
