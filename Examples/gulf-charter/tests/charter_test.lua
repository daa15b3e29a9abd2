-- What the gulf-charter plugins must do, whatever version of them runs. Each test loads the
-- operation afresh (the folder above), plays its timeline to a point, and checks the model.

describe("holds #holds", function()
  it("keeps a person with a suspensive appeal off the plane", function()
    local op = scenario.load("..")
    op:run_until("2026-12-05T11:00Z")
    local case = op:case("R-0007")
    expect(case.state):to_equal("on-hold")
    local kinds = {}
    for i, hold in ipairs(case:active_holds()) do kinds[i] = hold.kind end
    expect(kinds):to_contain("appeal-pending")
    expect(#op:notices{ to = "US-ENF/legal", template = "hold-notice", case = "R-0007" }):to_equal(1)
    op:run()
    expect(op:case("R-0007").state):to_equal("on-hold")
  end)

  it("strikes a person who makes a protection claim after being scheduled", function()
    local op = scenario.load("..")
    op:run_until("2026-12-11T14:00Z")
    expect(op:case("R-0013").state):to_equal("scheduled")
    op:run_until("2026-12-11T16:00Z")
    local case = op:case("R-0013")
    expect(case.movement):to_be_nil()
    expect(case.state):to_equal("on-hold")
  end)

  it("holds an unaccompanied minor until the family is traced, then seats the child", function()
    local op = scenario.load("..")
    op:run_until("2026-12-10T12:00Z")
    local minor = op:person("R-0021")
    expect(minor.vulnerabilities):to_equal({ "minor", "unaccompanied" })
    expect(minor.case.state):to_equal("on-hold")
    expect(minor.case.movement):to_be_nil()
    op:run_until("2026-12-13T09:00Z")
    expect(minor.case.reception_verified):to_be_truthy()
    expect(minor.case.movement):to_equal("M-1")
  end)

  it("strikes a person whose fit-to-fly expires before the flight", function()
    local op = scenario.load("..")
    op:run_until("2026-12-14T17:00Z")
    expect(op:case("R-0034").movement):to_equal("M-1")
    op:run_until("2026-12-14T19:00Z")
    local case = op:case("R-0034")
    expect(case.fit_to_fly):to_equal("expired")
    expect(case.movement):to_be_nil()
    expect(case.state):to_equal("documented")
  end)

  it("lets a volunteer withdraw consent, frees the seat and tells the ministry", function()
    local op = scenario.load("..")
    op:run_until("2026-12-12T11:00Z")
    expect(op:case("R-0042").state):to_equal("consent-withdrawn")
    expect(op:case("R-0042").movement):to_be_nil()
    expect(#op:notices{ template = "passenger-withdrawn", to = "IR-MFA/consular" }):to_equal(1)
  end)

  it("refuses to schedule a person on hold, with the model's reason", function()
    local op = scenario.load("..")
    local outcome = op:at("2026-12-09T07:00Z"):command("case.schedule", { case = "R-0007", movement = "M-1" })
    expect(outcome.accepted):to_be_falsy()
    expect(outcome.refusal):to_equal("case R-0007 cannot be scheduled: active hold 'appeal-pending' raised by US-ENF on 2026-12-05")
  end)
end)

describe("notices #notices", function()
  it("asks Doha for transit at least two days ahead and gets an answer in time", function()
    local op = scenario.load("..")
    op:run_until("2026-12-09T09:00Z")
    local requests = op:notices{ template = "transit-request" }
    expect(#requests):to_equal(1)
    expect(requests[1].to):to_equal("QA-TRANSIT")
    expect(requests[1].acknowledged):to_be_truthy()
    expect(requests[1].late):to_be_falsy()
    expect(requests[1].body):to_contain("98 passengers")
  end)

  it("gets the reception organisation's answer about the minor once the family is traced", function()
    local op = scenario.load("..")
    op:run_until("2026-12-11T10:00Z")
    local request = op:notices{ template = "minor-reception-request" }[1]
    expect(request.acknowledged):to_be_truthy()
    expect(request.reply.family_traced):to_equal(true)
    expect(request.reply.traced_on):to_equal("2026-12-11")
  end)

  it("reminds the reception organisation when the minor's request goes unanswered", function()
    local op = scenario.load("..")
    op:run_until("2026-12-04T09:00Z")
    local request = op:notices{ template = "minor-reception-request" }[1]
    expect(request.late):to_be_truthy()
    expect(#op:notices{ template = "reminder", to = "IR-RECEPTION/child-protection" }):to_equal(1)
  end)

  it("tells the reception organisation's medic of medical needs, and the transit authority of none", function()
    local op = scenario.load("..")
    op:run()
    local medical = op:notices{ template = "medical-needs" }
    expect(#medical):to_equal(1)
    expect(medical[1].to):to_equal("IR-RECEPTION/medical")
    expect(medical[1].body):to_contain(": medical")
    local transit = op:notices{ to = "QA-TRANSIT" }
    expect(#transit):to_be_greater_than(0)
    for _, notice in ipairs(transit) do
      expect(notice.body:find("medical", 1, true)):to_be_nil()
    end
  end)
end)

describe("custody #custody", function()
  it("hands people over at DOH and IKA with both parties' acknowledgement", function()
    local op = scenario.load("..")
    op:run()
    local handoffs = op:handoffs()
    expect(#handoffs):to_equal(3)
    local places = {}
    for i, h in ipairs(handoffs) do
      places[i] = h.from .. ">" .. h.to .. "@" .. h.place
      expect(h.state):to_equal("completed")
      expect(#h.acknowledged_by):to_equal(2)
    end
    expect(places):to_equal({ "US-ENF>QA-TRANSIT@DOH", "QA-TRANSIT>US-ENF@DOH", "US-ENF>IR-MFA@IKA" })
  end)

  it("records each arrival's reception and copies the monitor", function()
    local op = scenario.load("..")
    op:run()
    expect(op:summary().cases):to_equal({ received = 96, ["on-hold"] = 2, documented = 1, ["consent-withdrawn"] = 1 })
    local records = op:notices{ template = "reception-record" }
    expect(#records):to_equal(2)
    expect(records[2].to):to_equal("MONITOR")
  end)

  it("lets the ministry veto a handover that lacks the medical papers", function()
    local op = scenario.load("..")
    op:run_until("2026-12-16T01:00Z")
    local aboard = op:cases{ state = "in-transit" }
    expect(#aboard):to_equal(96)
    local outcome = op:as("US-ENF"):command("handoff.propose", { cases = aboard, to = "IR-MFA", place = "IKA" })
    expect(outcome.accepted):to_be_falsy()
    expect(outcome.refusal):to_match("^vetoed by plugin ir%-mfa, hook handoff%.proposed")
    expect(outcome.refusal):to_contain("medical escort required")
    expect(op:case("R-0001").custody):to_equal("US-ENF")
  end)

  it("runs the whole operation without a script error", function()
    local op = scenario.load("..")
    op:run()
    expect(op:failures()):to_equal({})
  end)
end)

describe("trust #trust", function()
  it("tells the ministry of a protection claim no more than that the hold is not its to lift", function()
    local op = scenario.load("..")
    op:run_until("2026-12-11T16:00Z")
    local claim
    for _, hold in ipairs(op:case("R-0013"):active_holds()) do
      if hold.kind == "protection-claim" then claim = hold.id end
    end
    local tried = op:as("IR-MFA"):command("hold.lift", { case = "R-0013", hold = claim, reason = "curious" })
    expect(tried.accepted):to_be_falsy()
    expect(tried.refusal):to_equal("case R-0013 has no active hold " .. claim .. " that IR-MFA may lift")
    -- The same refusal, as the coordinator is told it, names the claim.
    local told = op:as("COORDINATOR"):command("hold.lift", { case = "R-0013", hold = claim, reason = "curious", by = "IR-MFA" })
    expect(told.refusal):to_match("'protection%-claim' on case R%-0013 can be lifted only by US%-ENF")
  end)

  it("shows an agency only its own notices and its own plugins' failures among what a command caused", function()
    local op = scenario.load("..")
    op:run_until("2026-12-10T12:00Z")
    local seen = op:as("QA-TRANSIT"):signal("manifest.build", { movement = "M-1", transit = "request" })
    -- The sending agency's plugin asks Doha for transit: Doha sees that notice, and no other.
    expect(seen.notices):to_equal({ "transit-request to QA-TRANSIT" })
    expect(seen.failures):to_equal({})
  end)
end)
