-- Builds the session the Ardour test plays: one mono track "machine" with Faultline (VST3) on
-- it, Machine = valve, Fault on, and nothing else — no plan is given, so the plugin must make
-- its default plan and save it with the session. Run by plugin/tests/ardour.rs through
-- ardour7-lua (Ardour's headless Lua session tool) on the Dummy audio backend.
AudioEngine:set_backend("None (Dummy)", "", "")
local dir, name = os.getenv("FL_DIR"), os.getenv("FL_NAME")
assert(create_session(dir, name, 48000), "create the session")
local track = Session:new_audio_track(1, 2, nil, 1, "machine",
  ARDOUR.PresentationInfo.max_order, ARDOUR.TrackMode.Normal, true):front()
local plugin = ARDOUR.LuaAPI.new_plugin(Session, "Faultline", ARDOUR.PluginType.VST3, "")
assert(not plugin:isnil(), "Ardour did not find the Faultline VST3")
track:add_processor_by_index(plugin, 0, nil, true)
local p = plugin:to_insert():plugin(0)
local index = {}
for i = 0, p:parameter_count() - 1 do index[p:parameter_label(i)] = i end
assert(index["Machine"] and index["Fault on"], "Machine and Fault on parameters")
ARDOUR.LuaAPI.set_processor_param(plugin, index["Machine"], tonumber(os.getenv("FL_MACHINE")))
ARDOUR.LuaAPI.set_processor_param(plugin, index["Fault on"], 1)
-- The engine is running: the plugin sees Fault on in its next blocks and makes the default plan
-- on its planner thread; give it time before the state is saved.
os.execute("sleep 2")
Session:save_state("", false, false, false, false, false)
print("created")
close_session()
