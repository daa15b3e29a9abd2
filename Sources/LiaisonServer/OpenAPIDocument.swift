/// The API's OpenAPI 3.1 description, served at /openapi.json: written, not generated, and
/// held to the server by `ServerTests` (every path and method the router answers is here, and
/// nothing else). `docs/openapi.json` is the same text.
public enum OpenAPIDocument {
    public static let text = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "Liaison operation API",
    "version": "1",
    "description": "One return operation shared by its agencies. Every /v1 request carries an agency's bearer token (liaison token AGENCY --key AGENCY.key) and is answered as that agency may learn of the operation: the same disclosure as its plugins, console and exports. Errors are RFC 9457 problems whose detail says what went wrong and what to do."
  },
  "security": [
    {
      "agencyToken": []
    }
  ],
  "paths": {
    "/healthz": {
      "get": {
        "summary": "Whether the server can read its store",
        "responses": {
          "200": {
            "description": "The store answers",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "status": {
                      "type": "string"
                    },
                    "operation": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          },
          "503": {
            "$ref": "#/components/responses/Problem"
          }
        },
        "security": []
      }
    },
    "/metrics": {
      "get": {
        "summary": "Prometheus metrics, for the coordinator's token only: requests by route, method and status, their durations, command batches (how many, their sizes and durations) and store reopenings",
        "responses": {
          "200": {
            "description": "Prometheus text exposition",
            "content": {
              "text/plain": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Problem"
          }
        }
      }
    },
    "/openapi.json": {
      "get": {
        "summary": "This document",
        "responses": {
          "200": {
            "description": "OpenAPI 3.1",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          }
        },
        "security": []
      }
    },
    "/v1/me": {
      "get": {
        "summary": "Who the token speaks for: agency, role, the data categories and commands its grants cover",
        "responses": {
          "200": {
            "description": "The agency",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Me"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          }
        }
      }
    },
    "/v1/cases": {
      "get": {
        "summary": "Every case, with the fields the agency's grants cover (the others are not keys at all)",
        "responses": {
          "200": {
            "description": "Cases",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "cases": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/Case"
                      }
                    }
                  },
                  "required": [
                    "cases"
                  ]
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          }
        }
      }
    },
    "/v1/cases/{ref}": {
      "get": {
        "summary": "One case, as the agency may see it",
        "responses": {
          "200": {
            "description": "The case",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Case"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/Problem"
          }
        },
        "parameters": [
          {
            "name": "ref",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string"
            },
            "description": "The case's reference, such as R-0001"
          }
        ]
      }
    },
    "/v1/commands": {
      "post": {
        "summary": "Give a command of the catalogue in the agency's name",
        "responses": {
          "200": {
            "description": "Accepted and durable: the ledger holds it",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Outcome"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "400": {
            "$ref": "#/components/responses/Problem"
          },
          "403": {
            "$ref": "#/components/responses/NotGranted"
          },
          "409": {
            "$ref": "#/components/responses/Refused"
          },
          "503": {
            "$ref": "#/components/responses/Problem"
          }
        },
        "description": "The command's catalogue name (liaison reference commands) and its named arguments as the Lua methods take them; the subject (case, movement or handoff) is one of the arguments. Concurrent commands are decided one after another and made durable together; the answer comes once the command is in the ledger.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/CommandRequest"
              }
            }
          }
        }
      }
    },
    "/v1/notices": {
      "get": {
        "summary": "The notices the agency sent or receives; a notice's text only to its recipient",
        "responses": {
          "200": {
            "description": "Notices",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "notices": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/Notice"
                      }
                    }
                  },
                  "required": [
                    "notices"
                  ]
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "400": {
            "$ref": "#/components/responses/Problem"
          }
        },
        "parameters": [
          {
            "name": "box",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string",
              "enum": [
                "inbox",
                "outbox"
              ]
            },
            "description": "inbox: received; outbox: sent; both when not given"
          }
        ]
      }
    },
    "/v1/notices/{ref}/acknowledge": {
      "post": {
        "summary": "Acknowledge a notice addressed to the agency",
        "responses": {
          "200": {
            "description": "Acknowledged",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Outcome"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "400": {
            "$ref": "#/components/responses/Problem"
          },
          "403": {
            "$ref": "#/components/responses/NotGranted"
          },
          "409": {
            "$ref": "#/components/responses/Refused"
          },
          "503": {
            "$ref": "#/components/responses/Problem"
          }
        },
        "parameters": [
          {
            "name": "ref",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string"
            },
            "description": "The notice's reference"
          }
        ]
      }
    },
    "/v1/notices/{ref}/reply": {
      "post": {
        "summary": "Answer what a notice addressed to the agency asks",
        "responses": {
          "200": {
            "description": "Replied",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Outcome"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "400": {
            "$ref": "#/components/responses/Problem"
          },
          "403": {
            "$ref": "#/components/responses/NotGranted"
          },
          "409": {
            "$ref": "#/components/responses/Refused"
          },
          "503": {
            "$ref": "#/components/responses/Problem"
          }
        },
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "properties": {
                  "answers": {
                    "type": "object",
                    "additionalProperties": {
                      "type": [
                        "string",
                        "number",
                        "boolean"
                      ]
                    }
                  }
                },
                "required": [
                  "answers"
                ]
              }
            }
          }
        },
        "parameters": [
          {
            "name": "ref",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string"
            },
            "description": "The notice's reference"
          }
        ]
      }
    },
    "/v1/signals": {
      "post": {
        "summary": "Give an external signal (the coordinator only)",
        "responses": {
          "200": {
            "description": "Given",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Outcome"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "400": {
            "$ref": "#/components/responses/Problem"
          },
          "403": {
            "$ref": "#/components/responses/Problem"
          },
          "503": {
            "$ref": "#/components/responses/Problem"
          }
        },
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "properties": {
                  "signal": {
                    "type": "string"
                  },
                  "fields": {
                    "type": "object",
                    "additionalProperties": {
                      "type": [
                        "string",
                        "integer",
                        "boolean"
                      ]
                    }
                  }
                },
                "required": [
                  "signal"
                ]
              }
            }
          }
        }
      }
    },
    "/v1/ledger/head": {
      "get": {
        "summary": "The ledger's last entry",
        "responses": {
          "200": {
            "description": "The head",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Head"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          }
        }
      }
    },
    "/v1/ledger": {
      "get": {
        "summary": "Ledger entries the agency may learn of, with the events it may hear of; never a command's payload",
        "responses": {
          "200": {
            "description": "Entries",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "entries": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/Entry"
                      }
                    },
                    "next": {
                      "type": "integer",
                      "description": "The last sequence looked at: give it as after= for the next page"
                    }
                  },
                  "required": [
                    "entries",
                    "next"
                  ]
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          }
        },
        "parameters": [
          {
            "name": "after",
            "in": "query",
            "required": false,
            "schema": {
              "type": "integer",
              "minimum": 0
            }
          },
          {
            "name": "limit",
            "in": "query",
            "required": false,
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 5000
            }
          }
        ]
      }
    },
    "/v1/ledger/witness": {
      "post": {
        "summary": "Countersign a ledger head with the agency's key (liaison witness does it); kept in the ledger, checked by liaison audit verify --keys",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "properties": {
                  "sequence": {
                    "type": "integer",
                    "minimum": 1
                  },
                  "hash": {
                    "type": "string"
                  },
                  "signature": {
                    "type": "string",
                    "description": "base64url Ed25519 signature of \"liaison-witness\\nOPERATION\\nAGENCY\\nSEQUENCE\\nHASH\""
                  }
                },
                "required": [
                  "sequence",
                  "hash",
                  "signature"
                ]
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Kept: the outcome of the ledger.witnessed signal",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Outcome"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "400": {
            "$ref": "#/components/responses/Problem"
          },
          "403": {
            "$ref": "#/components/responses/Problem"
          },
          "404": {
            "$ref": "#/components/responses/Problem"
          },
          "409": {
            "$ref": "#/components/responses/Problem"
          },
          "503": {
            "$ref": "#/components/responses/Problem"
          }
        }
      }
    },
    "/v1/events": {
      "get": {
        "summary": "Live stream (server-sent events) of the ledger entries the agency may learn of",
        "responses": {
          "200": {
            "description": "text/event-stream: each entry as `event: entry`, its sequence as the id; an id line after each batch marks the last sequence looked at. Resume with Last-Event-ID.",
            "content": {
              "text/event-stream": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          }
        },
        "parameters": [
          {
            "name": "Last-Event-ID",
            "in": "header",
            "required": false,
            "schema": {
              "type": "integer"
            },
            "description": "Resume after this sequence (what a dropped stream last saw)"
          },
          {
            "name": "after",
            "in": "query",
            "required": false,
            "schema": {
              "type": "integer"
            },
            "description": "Start after this sequence; without it or Last-Event-ID the stream starts at the head"
          }
        ]
      }
    },
    "/v1/plugins": {
      "post": {
        "summary": "Replace one of the agency's own plugins (liaison plugins push does it): loaded with the others as a server start would, installed between two batches only if the whole set loads, its name, version and digest recorded in the ledger first",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "properties": {
                  "files": {
                    "type": "object",
                    "description": "Every file of the plugin's folder by relative path, base64; 8 MiB at most together",
                    "additionalProperties": {
                      "type": "string"
                    }
                  }
                },
                "required": [
                  "files"
                ]
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Installed",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "plugin": {
                      "type": "string"
                    },
                    "version": {
                      "type": "string"
                    },
                    "digest": {
                      "type": "string"
                    },
                    "outcome": {
                      "$ref": "#/components/schemas/Outcome"
                    }
                  },
                  "required": [
                    "plugin",
                    "version",
                    "digest",
                    "outcome"
                  ]
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "400": {
            "$ref": "#/components/responses/Problem"
          },
          "403": {
            "$ref": "#/components/responses/Problem"
          },
          "503": {
            "$ref": "#/components/responses/Problem"
          }
        }
      }
    }
  },
  "components": {
    "securitySchemes": {
      "agencyToken": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT (EdDSA, Ed25519): sub is the agency, aud the operation"
      }
    },
    "responses": {
      "Problem": {
        "description": "What went wrong and what to do",
        "content": {
          "application/problem+json": {
            "schema": {
              "$ref": "#/components/schemas/Problem"
            }
          }
        }
      },
      "Unauthorized": {
        "description": "No bearer token, or one that is expired, forged, for another operation or for an agency the operation holds no key for",
        "content": {
          "application/problem+json": {
            "schema": {
              "$ref": "#/components/schemas/Problem"
            }
          }
        }
      },
      "NotGranted": {
        "description": "The agency's grants do not cover the command: the refusal's reason, as the agency may be told it.",
        "content": {
          "application/problem+json": {
            "schema": {
              "$ref": "#/components/schemas/Outcome"
            }
          }
        }
      },
      "Refused": {
        "description": "The rules or another agency's plugin refused the command: nothing of it was kept.",
        "content": {
          "application/problem+json": {
            "schema": {
              "$ref": "#/components/schemas/Outcome"
            }
          }
        }
      }
    },
    "schemas": {
      "Problem": {
        "type": "object",
        "properties": {
          "title": {
            "type": "string"
          },
          "status": {
            "type": "integer"
          },
          "detail": {
            "type": "string"
          }
        },
        "required": [
          "title",
          "status",
          "detail"
        ]
      },
      "Me": {
        "type": "object",
        "properties": {
          "agency": {
            "type": "string"
          },
          "role": {
            "type": "string"
          },
          "operation": {
            "type": "string"
          },
          "categories": {
            "type": "array",
            "items": {
              "type": "string"
            }
          },
          "commands": {
            "type": "array",
            "items": {
              "type": "string"
            }
          }
        },
        "required": [
          "agency",
          "role",
          "operation",
          "categories"
        ]
      },
      "Case": {
        "type": "object",
        "description": "The fields of the case the agency's grants cover (liaison reference api lists them)",
        "properties": {
          "ref": {
            "type": "string"
          },
          "state": {
            "type": "string"
          }
        },
        "additionalProperties": true
      },
      "CommandRequest": {
        "type": "object",
        "properties": {
          "command": {
            "type": "string",
            "examples": [
              "case.strike"
            ]
          },
          "args": {
            "type": "object",
            "additionalProperties": true,
            "examples": [
              {
                "case": "R-0001",
                "reason": "appeal lodged"
              }
            ]
          }
        },
        "required": [
          "command"
        ]
      },
      "Outcome": {
        "type": "object",
        "properties": {
          "accepted": {
            "type": "boolean"
          },
          "command": {
            "type": "string"
          },
          "refusal": {
            "type": "string"
          },
          "entries": {
            "type": "array",
            "items": {
              "type": "object",
              "properties": {
                "sequence": {
                  "type": "integer"
                },
                "command": {
                  "type": "string"
                },
                "hash": {
                  "type": "string"
                }
              }
            }
          },
          "events": {
            "type": "array",
            "items": {
              "type": "object"
            }
          },
          "notices": {
            "type": "array",
            "items": {
              "type": "string"
            }
          },
          "failures": {
            "type": "array",
            "items": {
              "type": "string"
            }
          },
          "head": {
            "type": "integer"
          },
          "title": {
            "type": "string"
          },
          "status": {
            "type": "integer"
          },
          "detail": {
            "type": "string"
          }
        },
        "required": [
          "accepted",
          "command",
          "entries",
          "events",
          "head"
        ]
      },
      "Notice": {
        "type": "object",
        "properties": {
          "ref": {
            "type": "string"
          },
          "from": {
            "type": "string"
          },
          "to": {
            "type": "string"
          },
          "template": {
            "type": "string"
          },
          "cases": {
            "type": "array",
            "items": {
              "type": "string"
            }
          },
          "sent_at": {
            "type": "string"
          },
          "due": {
            "type": [
              "string",
              "null"
            ]
          },
          "acknowledged_at": {
            "type": [
              "string",
              "null"
            ]
          },
          "asks": {
            "type": "array",
            "items": {
              "type": "object"
            }
          },
          "reply": {
            "type": [
              "object",
              "null"
            ]
          },
          "body": {
            "type": "string",
            "description": "The recipient's only"
          }
        },
        "required": [
          "ref",
          "from",
          "to",
          "template",
          "cases",
          "sent_at"
        ]
      },
      "Head": {
        "type": "object",
        "properties": {
          "sequence": {
            "type": "integer"
          },
          "hash": {
            "type": "string"
          }
        },
        "required": [
          "sequence",
          "hash"
        ]
      },
      "Entry": {
        "type": "object",
        "properties": {
          "sequence": {
            "type": "integer"
          },
          "at": {
            "type": "string"
          },
          "actor": {
            "type": "string"
          },
          "command": {
            "type": "string"
          },
          "events": {
            "type": "array",
            "items": {
              "type": "object"
            }
          },
          "hash": {
            "type": "string"
          },
          "origin": {
            "type": "string",
            "description": "The agency's own entries only"
          }
        },
        "required": [
          "sequence",
          "at",
          "actor",
          "command",
          "events",
          "hash"
        ]
      }
    }
  }
}
"""#
}
