-- Opens the session and exports the master bus once per label in FL_EXPORTS (comma-separated),
-- all in this one Ardour process, into FL_OUT/<label>/ with the 32-bit float WAV preset the test
-- installs. (Separate-process exports use ardour-export; see plugin/tests/ardour.rs.)
AudioEngine:set_backend("None (Dummy)", "", "")
local dir, name, out = os.getenv("FL_DIR"), os.getenv("FL_NAME"), os.getenv("FL_OUT")
assert(load_session(dir, name), "load the session")
for label in string.gmatch(os.getenv("FL_EXPORTS"), "[^,]+") do
  local e = Session:simple_export()
  assert(e:set_preset(os.getenv("FL_PRESET")), "the export preset")
  local folder = out .. "/" .. label
  assert(os.execute("mkdir -p '" .. folder .. "'"), "make " .. folder)
  e:set_folder(folder)
  assert(e:run_export(), "export " .. label)
  print("exported " .. label)
end
close_session()
